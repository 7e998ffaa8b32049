// Work that falls due at a sandbox time, for any number of devices, on ONE clock timer: a min-heap
// ordered by due time, drained in batches. Due times are rounded up to a quantum so that a fleet's
// reports coalesce into a few timer firings instead of one per device.
import type { Clock, TimerHandle } from './clock.js';

interface Entry<T> {
  due: number;
  seq: number;
  item: T;
}

export class DueQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly run: (item: T) => void,
    private readonly quantumMs = 1000,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Runs `item` once `delayMs` of sandbox time have passed (rounded up to the quantum). */
  schedule(delayMs: number, item: T): void {
    if (this.stopped) return;
    const exact = this.clock.now() + Math.max(0, delayMs);
    const due = Math.ceil(exact / this.quantumMs) * this.quantumMs;
    this.push({ due, seq: this.seq++, item });
    if (due < this.timerDue) this.arm(due);
  }

  /** Runs everything due by now, in due order; entries scheduled while draining wait for their time. */
  drain(): void {
    const now = this.clock.now();
    for (let top = this.heap[0]; top && top.due <= now; top = this.heap[0]) {
      this.pop();
      this.run(top.item);
    }
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.heap.length = 0;
  }

  private arm(due: number): void {
    this.timer?.cancel();
    this.timerDue = due;
    this.timer = this.clock.setTimer(due - this.clock.now(), () => {
      this.timer = undefined;
      this.timerDue = Infinity;
      try {
        this.drain();
      } finally {
        // Re-arm even if a run threw, so one bad report never stalls the whole fleet.
        const next = this.heap[0];
        if (next && !this.stopped) this.arm(next.due);
      }
    });
  }

  private push(entry: Entry<T>): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
