// Image platforms as buildx spells them (`linux/amd64`, `linux/arm64`, `linux/arm/v7`): parsing
// with a suggestion for the spellings people reach for (`linux/aarch64`, `arm32v7`), and the one
// canonical form used to compare what was asked, what a builder offers and what an index holds.
import { didYouMean } from '../did-you-mean.js';
import { platformOfArchitecture } from '../rollout/architectures.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The platforms IoT Edge devices run: the default of the `platforms` input. */
export const DEFAULT_PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] as const;

// Linux architectures (GOARCH names, as OCI uses them) and the variants each takes; '' is the
// variant left out, which means v7 for arm and v8 for arm64 (containerd's normalisation).
const VARIANTS: Record<string, readonly string[]> = {
  amd64: ['', 'v1', 'v2', 'v3', 'v4'],
  arm64: ['', 'v8', 'v9'],
  arm: ['', 'v5', 'v6', 'v7', 'v8'],
  '386': [''],
  ppc64le: [''],
  s390x: [''],
  riscv64: [''],
  mips64le: [''],
  mips64: [''],
  loong64: [''],
};
const KNOWN = Object.entries(VARIANTS).flatMap(([arch, variants]) =>
  variants.map((variant) => `linux/${arch}${variant ? `/${variant}` : ''}`),
);

/** `linux/arm64/v8` → `linux/arm64`, `linux/arm` → `linux/arm/v7`, `linux/amd64/v1` → `linux/amd64`. */
export function formatPlatform(platform: Platform): string {
  const { os, architecture } = platform;
  let variant = platform.variant ?? '';
  if (architecture === 'arm64' && variant === 'v8') variant = '';
  if (architecture === 'amd64' && variant === 'v1') variant = '';
  if (architecture === 'arm' && variant === '') variant = 'v7';
  return `${os}/${architecture}${variant ? `/${variant}` : ''}`;
}

export type ParsedPlatform =
  { platform: string; error?: undefined } | { platform?: undefined; error: string };

function suggestion(text: string): string | undefined {
  const lower = text.toLowerCase();
  const parts = lower.split('/');
  const last = parts.length > 1 && parts[0] === 'linux' ? parts.slice(1).join('') : parts.join('');
  const byArchitecture = platformOfArchitecture(last) ?? platformOfArchitecture(parts.at(-1) ?? '');
  if (byArchitecture) return byArchitecture;
  if (KNOWN.includes(lower)) return lower;
  return didYouMean(lower.includes('/') ? lower : `linux/${lower}`, KNOWN);
}

/** Parses one platform; the canonical spelling, or an error that names a likely intended one. */
export function parsePlatform(text: string): ParsedPlatform {
  const value = text.trim();
  const near = (): string => {
    const guess = suggestion(value);
    return guess && guess !== value ? ` (did you mean ${formatPlatform(toPlatform(guess))}?)` : '';
  };
  const parts = value.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) {
    return {
      error: `'${value}' is not a platform: write os/architecture[/variant], e.g. linux/arm64${near()}`,
    };
  }
  const [os, architecture, variant = ''] = parts as [string, string, string?];
  if (os !== 'linux') {
    return {
      error:
        os.toLowerCase() === 'windows'
          ? `'${value}': IoT Edge runs Linux containers (also on Windows, through EFLOW): use linux/amd64`
          : `'${value}' is not a platform this tool builds${near()}`,
    };
  }
  const variants = VARIANTS[architecture];
  if (!variants || !variants.includes(variant)) {
    return { error: `'${value}' is not a platform this tool builds${near()}` };
  }
  return { platform: formatPlatform({ os, architecture, variant }) };
}

export function toPlatform(text: string): Platform {
  const [os = '', architecture = '', variant] = text.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * The canonical spelling of a platform as a builder or an index states it, or undefined for one
 * this tool does not know (`unknown/unknown` attestation entries, other operating systems).
 */
export function canonicalPlatform(platform: Platform | string): string | undefined {
  const text = typeof platform === 'string' ? platform.trim().replace(/\*$/, '') : formatPlatform(platform);
  const parsed = parsePlatform(text);
  return parsed.platform;
}

/** The requested platforms that `available` (a builder's or an index's list) lacks. */
export function missingPlatforms(requested: readonly string[], available: readonly string[]): string[] {
  const have = new Set(available.map((p) => canonicalPlatform(p)).filter((p) => p !== undefined));
  return requested.filter((platform) => !have.has(canonicalPlatform(platform) ?? platform));
}

/** `linux/arm/v7` → `linux-arm-v7`: for cache scopes and file names. */
export function platformSlug(platform: string): string {
  return platform.replace(/\//g, '-');
}
