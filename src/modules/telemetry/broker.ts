/**
 * MQTT transports. The built-in broker (aedes; MQTT 3.1.1 and 5, plain TCP or TLS) authenticates
 * each device by its token and lets it publish only under its own topics
 * `plant/{enterprise}/{device}/…`; samples on `plant/{enterprise}/{device}/telemetry` are stored
 * before the broker sends the QoS 1 PUBACK (aedes acknowledges only after authorizePublish calls
 * back). The external mode subscribes to the same topics on another broker (which authenticates
 * the devices) with a persistent session and acknowledges each message only after it is stored.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Client as BrokerClient } from 'aedes';
import { loadAedes, loadMqtt } from '../../heavy.ts';
import type { EventSink } from '../audit/events.ts';
import { parseMqttPayload, PayloadError } from './payloads.ts';
import type { DeviceContext, TelemetryService } from './telemetry.service.ts';
import { OverloadedError } from './writer.ts';

/** Samples one MQTT message may carry. */
export const MQTT_MAX_SAMPLES = 10_000;
/** How long a flooding device is slowed down before its connection is closed. */
const MQTT_MAX_DELAY_MS = 5_000;

const TOPIC = /^plant\/([^/]+)\/([^/]+)\/(.+)$/;

export interface BrokerOptions {
  port: number;
  host: string;
  tls?: { cert: Buffer; key: Buffer };
  onError?: (error: unknown) => void;
}

type Telemetry = Pick<TelemetryService, 'authenticateDevice' | 'ingestPayload' | 'countRejection' | 'deviceByCodes' | 'context'>;

function remoteOf(client: BrokerClient | null): string | undefined {
  const conn = client?.conn as { remoteAddress?: string } | undefined;
  return conn?.remoteAddress;
}

function versionOf(client: BrokerClient | null): number {
  return (client as unknown as { version?: number } | null)?.version ?? 4;
}

/** Starts the built-in broker; resolves with its port once listening. */
export async function startBroker(telemetry: Telemetry, events: EventSink, options: BrokerOptions) {
  const devices = new WeakMap<BrokerClient, DeviceContext>();
  const onError = options.onError ?? ((e: unknown) => console.error('[mqtt]', e));

  const broker = await (
    await loadAedes()
  ).createBroker({
    // Telemetry is stored on receipt; the broker keeps no retained store beyond memory.
    maxClientsIdLength: 128,
    authenticate(client, username, password, done) {
      const token = password?.toString('utf8') ?? '';
      telemetry
        .authenticateDevice(token, { via: 'mqtt', ...(remoteOf(client) ? { ip: remoteOf(client) } : {}), ...(username ? { username } : {}) })
        .then(async (ctx) => {
          const expected = ctx ? `${ctx.settings.enterprise_code}/${ctx.device.code}` : undefined;
          if (ctx && (username === undefined || username === expected || username === ctx.device.code)) {
            devices.set(client, ctx);
            return done(null, true);
          }
          // Failed broker sign-ins feed the password-guessing detector (by user name and address).
          await events.record({
            action: 'telemetry.auth',
            result: 'failure',
            actor: { username: username ?? '(none)' },
            details: { via: 'mqtt', clientId: client.id, reason: ctx ? 'username_mismatch' : 'bad_token' },
            ...(remoteOf(client) ? { ip: remoteOf(client) } : {}),
          });
          const error = Object.assign(new Error('bad user name or password'), { returnCode: 4 as const });
          done(error, false);
        })
        .catch((e: unknown) => {
          onError(e);
          done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
        });
    },
    authorizeSubscribe(client, subscription, done) {
      const ctx = devices.get(client);
      const own = ctx ? `plant/${ctx.settings.enterprise_code}/${ctx.device.code}/` : undefined;
      // Another topic is refused in the SUBACK (0x80); the connection stays.
      done(null, own && subscription.topic.startsWith(own) ? subscription : null);
    },
    authorizePublish(client, packet, done) {
      const session = client ? devices.get(client) : undefined;
      if (!client || !session) return done(new Error('not signed in'));
      const receivedMs = Date.now();
      // The registry as it is now (cached briefly), not as it was at sign-in: a new token or a disabled
      // device ends the session at once, a new rate or point applies to the next message.
      telemetry
        .context(session.device.id)
        .then((ctx) => {
          if (!ctx || ctx.device.state !== 'active' || ctx.device.token_hash !== session.device.token_hash) {
            void telemetry.countRejection(
              'bad_credentials',
              `mqtt session of ${session.settings.enterprise_code}/${session.device.code} ended: ${ctx?.device.state === 'active' ? 'a new token was issued' : 'the device is disabled'}`,
              { device: session.device },
            );
            client.close();
            return done(new Error('the device credential was revoked'));
          }
          devices.set(client, ctx);
          publish(client, ctx, packet, receivedMs, done);
        })
        .catch((error: unknown) => {
          onError(error);
          client.close();
          done(error as Error);
        });
    },
  });

  function publish(
    client: BrokerClient,
    ctx: DeviceContext,
    packet: { topic: string; payload: Buffer | string },
    receivedMs: number,
    done: (error?: Error | null) => void,
  ): void {
    const m = TOPIC.exec(packet.topic);
    if (!m || m[1] !== ctx.settings.enterprise_code || m[2] !== ctx.device.code) {
      // ACL: a device publishes only under plant/{its enterprise}/{itself}/…
      void telemetry.countRejection(
        'unauthorized_topic',
        `topic ${packet.topic.slice(0, 200)} is not under plant/${ctx.settings.enterprise_code}/${ctx.device.code}/`,
        { device: ctx.device },
      );
      return done(new Error('a device publishes only under its own topics'));
    }
    if (m[3] !== 'telemetry') return done(null);
    telemetry
      .ingestPayload(ctx, () => parseMqttPayload(packet.payload as Buffer, ctx.device.code, MQTT_MAX_SAMPLES), {
        via: 'mqtt',
        receivedMs,
        maxDelayMs: MQTT_MAX_DELAY_MS,
        ...(remoteOf(client) ? { ip: remoteOf(client) } : {}),
      })
      .then(
        () => done(null),
        (error: unknown) => {
          if (error instanceof OverloadedError || (error instanceof PayloadError && error.reason === 'rate_limited')) {
            // Not stored: close without a PUBACK, so the device keeps the message and resends it.
            client.close();
            return done(error);
          }
          // A refused payload (counted per device with its reason): MQTT 5 answers the QoS 1 publish
          // with a refusing PUBACK; 3.1.1 has no negative acknowledgement, so it is acknowledged.
          if (error instanceof PayloadError) return versionOf(client) === 5 ? done(error) : done(null);
          onError(error);
          client.close();
          done(error as Error);
        },
      );
  }
  // Client errors (refused sign-ins, ACL refusals, dropped sockets) are counted or audited above, or
  // are the client's own business: nothing to log.
  broker.on('clientError', () => {});

  const server = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, broker.handle)
    : net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    broker,
    async close(): Promise<void> {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Broker = Awaited<ReturnType<typeof startBroker>>;

/**
 * Subscribes to `plant/+/+/telemetry` on an external broker as one member of the shared
 * subscription `$share/pdx` (several pdx processes split the stream), MQTT 5, persistent session.
 * A message is acknowledged only after its samples are stored; when pdx is overloaded the
 * connection is dropped without the PUBACK and the broker redelivers after the reconnect.
 */
/**
 * Subscriptions to the external broker at once, in one shared-subscription group: each handles one
 * message at a time (its PUBACK waits for the commit), so with one the external mode stored one
 * message per transaction; with several their messages share the writer's batches.
 */
export const EXTERNAL_SUBSCRIBERS = 16;

export async function subscribeExternal(
  telemetry: Telemetry,
  options: { url: string; username?: string; password?: string; clientId: string; subscribers?: number; onError?: (error: unknown) => void },
) {
  const mqtt = await loadMqtt();
  const onError = options.onError ?? ((e: unknown) => console.error('[mqtt external]', e));
  const clients = Array.from({ length: options.subscribers ?? EXTERNAL_SUBSCRIBERS }, (_, i) => subscriber(`${options.clientId.slice(0, 60)}-${i}`));

  function subscriber(clientId: string) {
    const client = mqtt.connect(options.url, {
      clientId,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 2000,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    });
    client.on('connect', (connack) => {
      if (!connack.sessionPresent) client.subscribe('$share/pdx/plant/+/+/telemetry', { qos: 1 }, (e) => e && onError(e));
    });
    client.on('error', onError);
    // mqtt.js sends the PUBACK of a QoS 1 message once this callback is called without an error.
    client.handleMessage = (packet, callback) => {
      if (packet.cmd !== 'publish') return callback();
      const m = TOPIC.exec(packet.topic);
      if (!m || m[3] !== 'telemetry') return callback();
      const receivedMs = Date.now();
      void (async () => {
        const ctx = await telemetry.deviceByCodes(m[1]!, m[2]!);
        if (!ctx) {
          await telemetry.countRejection('bad_credentials', `no registered device ${m[1]}/${m[2]} (external broker)`, { subject: `external:${m[1]}/${m[2]}` });
          return callback();
        }
        try {
          await telemetry.ingestPayload(ctx, () => parseMqttPayload(packet.payload as Buffer, ctx.device.code, MQTT_MAX_SAMPLES), {
            via: 'external',
            receivedMs,
            maxDelayMs: MQTT_MAX_DELAY_MS,
          });
          callback();
        } catch (error) {
          if (error instanceof PayloadError) {
            // Refused and counted per device; acknowledged so the broker does not send it forever. A
            // device over its rate included: one subscription group carries every device, so holding
            // its message back would stall them all (and one larger than the rate allows, for ever).
            return callback();
          }
          // Not stored: no PUBACK; drop the connection so the broker redelivers after reconnecting.
          onError(error);
          client.stream.destroy();
        }
      })().catch(onError);
    };
    return client;
  }

  return {
    clients,
    close: () => Promise.all(clients.map((client) => new Promise<void>((resolve) => client.end(false, {}, () => resolve())))).then(() => undefined),
  };
}
