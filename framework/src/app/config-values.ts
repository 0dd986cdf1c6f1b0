import { LodeError } from '../errors/index.js';

/** A mapping read from config.yaml, before its keys are checked. */
export type Raw = Record<string, unknown>;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `3d`, `12h`, `90m`, `30s`, `500ms`, or a number of ms. */
export function durationOf(value: unknown, key: string): number {
  const match = typeof value === 'number' ? [String(value), String(value), 'ms'] : typeof value === 'string' ? DURATION.exec(value.trim()) : null;
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] ?? 'ms']! : NaN;
  if (!(ms > 0)) throw new LodeError('BAD_REQUEST', `config.yaml: ${key} must be a duration such as 3d, 12h, 30s or a number of milliseconds`);
  return ms;
}

export function positive(value: unknown, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) throw new LodeError('BAD_REQUEST', `config.yaml: ${key} must be a positive integer`);
  return value;
}

export function section(config: Raw, key: string): Raw {
  const value = config[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new LodeError('BAD_REQUEST', `config.yaml: ${key} must be a mapping of keys`);
  return value as Raw;
}
