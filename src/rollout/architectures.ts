// Devices report their CPU architecture as the kernel names it (`runtime.platform.architecture` of
// $edgeAgent: x86_64, aarch64, armv7l); images name platforms the OCI way (linux/amd64, linux/arm64,
// linux/arm/v7). This maps one to the other and says which targeted devices an image cannot run on.

export type Platform = 'linux/amd64' | 'linux/arm64' | 'linux/arm/v7';

const ARCHITECTURE_PLATFORMS: ReadonlyArray<[Platform, readonly string[]]> = [
  ['linux/amd64', ['x86_64', 'amd64', 'x64', 'x86-64']],
  ['linux/arm64', ['aarch64', 'arm64', 'arm64v8', 'armv8']],
  // 32-bit ARM: IoT Edge supports ARMv7 only, so `arm` and `armhf` mean v7 here.
  ['linux/arm/v7', ['armv7l', 'armv7', 'arm32v7', 'armhf', 'arm']],
];

/** The image platform a device architecture needs, or undefined for one this tool does not know. */
export function platformOfArchitecture(architecture: string): Platform | undefined {
  const name = architecture.trim().toLowerCase();
  return ARCHITECTURE_PLATFORMS.find(([, names]) => names.includes(name))?.[0];
}

/**
 * An image platform in its canonical spelling: `linux/arm64/v8` → `linux/arm64`, `arm32v7` →
 * `linux/arm/v7`, `linux/arm` → `linux/arm/v7` (buildx's default variant). Unknown spellings are
 * returned lower-cased.
 */
export function normalisePlatform(platform: string): string {
  const text = platform.trim().toLowerCase();
  const withoutOs = text.startsWith('linux/') ? text.slice('linux/'.length) : text;
  if (withoutOs === 'arm64/v8') return 'linux/arm64';
  if (withoutOs === 'arm/v7' || withoutOs === 'arm') return 'linux/arm/v7';
  return platformOfArchitecture(withoutOs) ?? text;
}

export interface ArchitectureCount {
  /** As reported; undefined when the device has not reported one. */
  architecture?: string;
  devices: number;
}

export interface ArchitectureCoverage {
  /** Architectures the image covers. */
  covered: Array<{ architecture: string; platform: Platform; devices: number }>;
  /** Architectures the image lacks: their devices could not start the module. */
  missing: Array<{ architecture: string; platform: Platform; devices: number }>;
  /** Devices with no or an unknown architecture: cannot be checked. */
  unknown: Array<{ architecture?: string; devices: number }>;
}

export function architectureCoverage(
  counts: readonly ArchitectureCount[],
  imagePlatforms: readonly string[],
): ArchitectureCoverage {
  const available = new Set(imagePlatforms.map(normalisePlatform));
  const coverage: ArchitectureCoverage = { covered: [], missing: [], unknown: [] };
  for (const { architecture, devices } of counts) {
    if (devices <= 0) continue;
    const platform = architecture === undefined ? undefined : platformOfArchitecture(architecture);
    if (architecture === undefined || platform === undefined)
      coverage.unknown.push({ architecture, devices });
    else
      (available.has(platform) ? coverage.covered : coverage.missing).push({
        architecture,
        platform,
        devices,
      });
  }
  return coverage;
}

/** Devices per reported architecture (undefined = not reported), in first-seen order. */
export function countArchitectures(architectures: Iterable<string | undefined>): ArchitectureCount[] {
  const counts = new Map<string | undefined, number>();
  for (const architecture of architectures) counts.set(architecture, (counts.get(architecture) ?? 0) + 1);
  return [...counts].map(([architecture, devices]) =>
    architecture === undefined ? { devices } : { architecture, devices },
  );
}
