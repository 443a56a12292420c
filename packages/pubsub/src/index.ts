import type { Redis } from '@voiceassist/redis';
import { createRedis } from '@voiceassist/redis';

/** Topic-based publish/subscribe; the same contract in-process and over Redis. */
export interface PubSub {
  publish<T>(topic: string, payload: T): Promise<void>;
  /** Events published after this call, until the iterator is returned. */
  subscribe<T>(topic: string): AsyncIterableIterator<T>;
  close(): Promise<void>;
}

type Listener = (payload: unknown) => void;

/** An unbounded-producer, single-consumer queue exposed as an async iterator. */
export function createEventQueue<T>(onReturn: () => void): AsyncIterableIterator<T> & { push(value: T): void } {
  const buffered: T[] = [];
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    onReturn();
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
  };
  return {
    push(value: T) {
      if (done) return;
      const resolve = waiting.shift();
      if (resolve) resolve({ value, done: false });
      else buffered.push(value);
    },
    next() {
      if (buffered.length > 0) return Promise.resolve({ value: buffered.shift() as T, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown) {
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

class TopicListeners {
  private readonly byTopic = new Map<string, Set<Listener>>();

  add(topic: string, listener: Listener): boolean {
    let set = this.byTopic.get(topic);
    const first = !set;
    if (!set) this.byTopic.set(topic, (set = new Set()));
    set.add(listener);
    return first;
  }

  /** Returns true when the topic has no listener left. */
  remove(topic: string, listener: Listener): boolean {
    const set = this.byTopic.get(topic);
    if (!set) return false;
    set.delete(listener);
    if (set.size === 0) this.byTopic.delete(topic);
    return set.size === 0;
  }

  emit(topic: string, payload: unknown) {
    for (const listener of this.byTopic.get(topic) ?? []) listener(payload);
  }

  get size() {
    return this.byTopic.size;
  }
}

const inProcessBuses = new Map<string, TopicListeners>();

/**
 * In-process pub/sub. Services started in one process (the dev supergraph, the test kit) share
 * a bus per namespace, so a change in one reaches the others without Redis.
 */
export function createInProcessPubSub(namespace = 'default'): PubSub {
  let listeners = inProcessBuses.get(namespace);
  if (!listeners) inProcessBuses.set(namespace, (listeners = new TopicListeners()));
  const bus = listeners;
  return {
    async publish(topic, payload) {
      // Deliver a structured clone so subscribers never share mutable objects with the publisher.
      bus.emit(topic, structuredClone(payload));
    },
    subscribe<T>(topic: string) {
      const queue = createEventQueue<T>(() => bus.remove(topic, listener));
      const listener: Listener = (payload) => queue.push(payload as T);
      bus.add(topic, listener);
      return queue;
    },
    async close() {},
  };
}

/** Redis pub/sub: one publishing and one subscribing connection per instance, fanned out locally. */
export function createRedisPubSub(options: { url: string; keyPrefix?: string; connectionName?: string }): PubSub {
  const prefix = options.keyPrefix ?? '';
  const publisher: Redis = createRedis({ url: options.url, connectionName: options.connectionName });
  const subscriber: Redis = createRedis({ url: options.url, subscriber: true });
  const listeners = new TopicListeners();
  // Publishes from this instance wait for its own pending SUBSCRIBEs, so ordering holds locally.
  let pendingSubscribes: Promise<unknown> = Promise.resolve();
  subscriber.on('message', (channel: string, message: string) => {
    if (!channel.startsWith(prefix)) return;
    listeners.emit(channel.slice(prefix.length), JSON.parse(message));
  });
  return {
    async publish(topic, payload) {
      await pendingSubscribes;
      await publisher.publish(prefix + topic, JSON.stringify(payload));
    },
    subscribe<T>(topic: string) {
      const queue = createEventQueue<T>(() => {
        if (listeners.remove(topic, listener)) void subscriber.unsubscribe(prefix + topic).catch(() => {});
      });
      const listener: Listener = (payload) => queue.push(payload as T);
      if (listeners.add(topic, listener)) {
        pendingSubscribes = Promise.all([pendingSubscribes, subscriber.subscribe(prefix + topic).catch(() => {})]);
      }
      return queue;
    },
    async close() {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}

/** Redis when a URL is given, in-process otherwise. */
export function createPubSub(options: { redisUrl?: string | undefined; namespace?: string; connectionName?: string }): PubSub {
  return options.redisUrl
    ? createRedisPubSub({ url: options.redisUrl, keyPrefix: options.namespace ? `${options.namespace}:` : '', connectionName: options.connectionName })
    : createInProcessPubSub(options.namespace);
}
