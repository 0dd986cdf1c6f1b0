import { LodeError } from '../errors/index.js';
import { parseQuery, type Expression } from '../query/index.js';
import type { Key } from '../storage/index.js';

/** What a subscriber asked for, from its URL (`/T/1`, `/T/`, `/T/a/`, `/T/?category=x`) and options. */
export interface SubscribeRequest {
  /** A record subscription. */
  id?: Key;
  /** A collection subscription limited to ids under a path (`/T/a/` → `a/`). */
  prefix?: string;
  /** A query subscription: only records matching these conditions. */
  where?: Expression;
  /** Continue after this change-log sequence (`Last-Event-ID`, `?resume=`). */
  resume?: number;
  /** Replay the changes committed since this time (ms) first. */
  startTime?: number;
  /** Replay the last N changes first. */
  previousCount?: number;
  /** Skip the initial state. */
  omitCurrent?: boolean;
}

/** The part of a request target a subscription is described by (resources build it from the URL). */
export interface SubscriptionTarget {
  id?: Key;
  path: string;
  search: string;
  isCollection: boolean;
  resume?: string;
}

/** Harper's ceiling for `previousCount`. */
export const MAX_PREVIOUS_COUNT = 1000;

const OPTION = /^(resume|startTime|previousCount|omitCurrent)(?:=(.*))?$/;

function bad(option: string, message: string): LodeError {
  return new LodeError('BAD_REQUEST', `${option}: ${message}`, { errors: [{ path: `query.${option}`, message }] });
}

function sequence(raw: string, option: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw bad(option, 'expects a change-log sequence (a non-negative integer)');
  return Number(raw);
}

function time(raw: string): number {
  const decoded = decodeURIComponent(raw);
  const value = /^\d+$/.test(decoded) ? Number(decoded) : Date.parse(decoded);
  if (!Number.isFinite(value)) throw bad('startTime', 'expects epoch milliseconds or an ISO 8601 date');
  return value;
}

/**
 * Reads a subscription from a target: the subscription options are taken out of the query string
 * (top-level `resume=`, `startTime=`, `previousCount=`, `omitCurrent`) and the rest must be
 * conditions, which filter the stream.
 */
export function subscribeRequest(target: SubscriptionTarget): SubscribeRequest {
  const request: SubscribeRequest = {};
  const conditions: string[] = [];
  for (const part of target.search === '' ? [] : target.search.split('&')) {
    const option = OPTION.exec(part);
    if (!option) {
      conditions.push(part);
      continue;
    }
    const [, name, raw = ''] = option;
    if (name === 'resume') request.resume = sequence(raw, 'resume');
    else if (name === 'startTime') request.startTime = time(raw);
    else if (name === 'previousCount') {
      const count = sequence(raw, 'previousCount');
      if (count > MAX_PREVIOUS_COUNT) throw bad('previousCount', `is at most ${MAX_PREVIOUS_COUNT}`);
      request.previousCount = count;
    } else request.omitCurrent = raw === '' || raw === 'true';
  }
  if (target.resume !== undefined && request.resume === undefined) request.resume = sequence(target.resume.trim(), 'Last-Event-ID');
  const replays = [request.resume, request.startTime, request.previousCount].filter((option) => option !== undefined).length;
  if (replays > 1) throw bad('resume', 'resume, startTime and previousCount cannot be combined');
  if (target.id !== undefined) request.id = target.id;
  else if (target.path !== '') request.prefix = target.path;
  if (conditions.length > 0) {
    if (target.id !== undefined) throw bad('query', 'a record subscription takes no conditions');
    const query = parseQuery(conditions.join('&'));
    if (query.select || query.sort || query.limit !== undefined || query.offset !== undefined || query.count || query.explain) {
      throw bad('query', 'a subscription takes conditions only, not select(), sort(), limit(), count() or explain()');
    }
    if (query.where) request.where = query.where;
  }
  return request;
}
