import { createRedis, redisConnectionState, type Redis, type RedisAvailability } from '@voiceassist/redis';

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

export interface RedisPubSubOptions {
  url: string;
  keyPrefix?: string;
  connectionName?: string;
  /** The service's view of Redis, which these connections count in. */
  availability?: RedisAvailability;
}

/**
 * Redis pub/sub: one publishing and one subscribing connection per instance, fanned out locally.
 * While Redis is away, a publish reaches this instance's own subscribers directly (and never
 * throws); other instances miss it, so what must reach them has another path (flags re-read
 * their history). Subscriptions come back when Redis does.
 */
export function createRedisPubSub(options: RedisPubSubOptions): PubSub {
  const prefix = options.keyPrefix ?? '';
  const { availability } = options;
  const publisher: Redis = createRedis({ url: options.url, connectionName: options.connectionName, availability });
  const subscriber: Redis = createRedis({ url: options.url, subscriber: true, availability });
  const listeners = new TopicListeners();
  const topics = new Set<string>();
  // Publishes from this instance wait for its own pending SUBSCRIBEs, so ordering holds locally.
  let pendingSubscribes: Promise<unknown> = Promise.resolve();
  // Settles when the subscriber connection is lost, so no publish waits on SUBSCRIBEs held for the reconnect.
  let markSubscriberLost: (() => void) | undefined;
  const nextLoss = () => new Promise<void>((resolve) => (markSubscriberLost = resolve));
  let subscriberLost = nextLoss();
  subscriber.on('reconnecting', () => {
    markSubscriberLost?.();
    markSubscriberLost = undefined;
  });
  subscriber.on('ready', () => {
    if (!markSubscriberLost) subscriberLost = nextLoss();
    // ioredis resubscribes after a reconnect; this tells publishes when that has taken effect.
    if (topics.size > 0) pendingSubscribes = subscriber.subscribe(...[...topics].map((t) => prefix + t)).catch(() => {});
  });
  subscriber.on('message', (channel: string, message: string) => {
    if (!channel.startsWith(prefix)) return;
    listeners.emit(channel.slice(prefix.length), JSON.parse(message));
  });
  // The same shape subscribers get through Redis (JSON), and no object shared with the publisher.
  const deliverHere = (topic: string, message: string) => listeners.emit(topic, JSON.parse(message));
  return {
    async publish(topic, payload) {
      const message = JSON.stringify(payload);
      if (redisConnectionState(subscriber) !== 'down') await Promise.race([pendingSubscribes, subscriberLost]);
      const heardHere = redisConnectionState(subscriber) !== 'down';
      let sent = false;
      if (redisConnectionState(publisher) !== 'down') {
        try {
          await publisher.publish(prefix + topic, message);
          sent = true;
        } catch {
          // Redis went away meanwhile (or did not answer in time, when the message may still
          // arrive through it: at least once, then): delivered here below.
        }
      }
      if (!sent || !heardHere) deliverHere(topic, message);
    },
    subscribe<T>(topic: string) {
      const queue = createEventQueue<T>(() => {
        if (listeners.remove(topic, listener)) {
          topics.delete(topic);
          void subscriber.unsubscribe(prefix + topic).catch(() => {});
        }
      });
      const listener: Listener = (payload) => queue.push(payload as T);
      if (listeners.add(topic, listener)) {
        topics.add(topic);
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
export function createPubSub(options: { redisUrl?: string | undefined; namespace?: string | undefined; connectionName?: string; availability?: RedisAvailability }): PubSub {
  return options.redisUrl
    ? createRedisPubSub({ url: options.redisUrl, keyPrefix: options.namespace ? `${options.namespace}:` : '', connectionName: options.connectionName, availability: options.availability })
    : createInProcessPubSub(options.namespace);
}
