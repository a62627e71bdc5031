/**
 * Connections to Redis, the store BullMQ keeps its queues in.
 *
 * Every connection retries when the server is down or goes away (ioredis reconnects with
 * a growing delay, capped at `maxDelayMs`) and reports each retry through `onRetry`, so a
 * worker outlives a Redis restart instead of crashing. Commands issued while the server is
 * away wait for it (`maxRetriesPerRequest: null`, which BullMQ workers require).
 * {@link waitForRedis} is the up-front check the short-lived commands use: a bounded
 * number of attempts, then a {@link RedisUnavailableError} saying where and why.
 */
import { Redis } from 'ioredis';
import { InvalidArgumentError } from '@diffeo/core';
import { RedisUnavailableError } from './errors.js';

/** Options of {@link redisConnection} and {@link waitForRedis}. */
export interface RedisConnectionOptions {
  /** Called before each reconnection attempt with a one-line, human-readable reason. */
  onRetry?: (message: string) => void;
  /** Longest delay between reconnection attempts, milliseconds (default 5000). */
  maxDelayMs?: number;
}

/**
 * Checks a Redis URL (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS).
 * @returns the URL, unchanged
 * @throws InvalidArgumentError naming the URL when it is not a Redis URL.
 */
export function checkRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(`"${url}" is not a Redis URL; write it as redis://HOST:PORT (for example redis://127.0.0.1:6379)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new InvalidArgumentError(`"${url}" is not a Redis URL (scheme ${u.protocol}); write it as redis://HOST:PORT or rediss://HOST:PORT`);
  }
  return url;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

function reason(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return reason(e.errors[0]);
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code ?? e.message;
  return String(e);
}

/**
 * A Redis connection for BullMQ (queues and workers): reconnects forever with a delay
 * growing to `maxDelayMs`, calling `onRetry` each time, and queues commands meanwhile.
 * Close it with `quit()` (or `disconnect()`).
 */
export function redisConnection(url: string, options: RedisConnectionOptions = {}): Redis {
  checkRedisUrl(url);
  const maxDelay = options.maxDelayMs ?? 5000;
  let lastError = 'connection lost';
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: false,
    retryStrategy: (times: number) => {
      const delay = Math.min(maxDelay, 250 * 2 ** Math.min(times - 1, 10));
      options.onRetry?.(`cannot reach Redis at ${redactedUrl(url)} (${lastError}); retrying in ${(delay / 1000).toFixed(1)} s`);
      return delay;
    },
  });
  // Without a listener an 'error' event would throw; errors are reported through retries.
  client.on('error', (e: unknown) => {
    lastError = reason(e);
  });
  return client;
}

/**
 * Waits until Redis at `url` answers a PING, trying `attempts` times (default 5) with a
 * delay doubling from 250 ms up to `maxDelayMs`, and calling `onRetry` before each retry.
 * @throws RedisUnavailableError naming the URL and the last reason (e.g. `ECONNREFUSED`)
 *   when every attempt failed.
 */
export async function waitForRedis(url: string, options: RedisConnectionOptions & { attempts?: number } = {}): Promise<void> {
  checkRedisUrl(url);
  const attempts = Math.max(1, options.attempts ?? 5);
  const maxDelay = options.maxDelayMs ?? 5000;
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 5000 });
    let socketError: string | undefined;
    client.on('error', (e: unknown) => {
      socketError ??= reason(e);
    });
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch (e) {
      // The socket's own error (ECONNREFUSED, ENOTFOUND, ...) says more than "Connection is closed".
      last = socketError ?? reason(e);
      client.disconnect();
    }
    if (i < attempts) {
      const delay = Math.min(maxDelay, 250 * 2 ** (i - 1));
      options.onRetry?.(`cannot reach Redis at ${redactedUrl(url)} (${last}); retrying in ${(delay / 1000).toFixed(1)} s (attempt ${i + 1} of ${attempts})`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  throw new RedisUnavailableError(`cannot reach Redis at ${redactedUrl(url)} (${last}) after ${attempts} attempts; start it (redis-server) or check the host and port in --redis`);
}
