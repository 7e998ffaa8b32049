/**
 * A query or condition the sandbox hub cannot parse or run. The HTTP front answers it with 400, as
 * the service answers a bad query. `position` is 1-based (the first character is position 1).
 */
export class QueryError extends Error {
  readonly position: number | undefined;

  /** `hint` says how to fix it and follows the position: "<problem> at position 12; <hint>". */
  constructor(problem: string, position?: number, hint?: string) {
    const where = position === undefined ? '' : ` at position ${position}`;
    super(`${problem}${where}${hint ? `; ${hint}` : ''}`);
    this.name = 'QueryError';
    this.position = position;
  }
}
