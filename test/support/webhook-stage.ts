/**
 * What the signed-webhook API suites share. The coordinator's webhook settings for tests: the
 * background sweep set to a day, so that every pass is the test's own `pump(at)` with an
 * explicit clock and nothing depends on how fast the machine is; short time-outs and retries.
 * And the stage of the endpoint and delivery suites: one coordinator per suite holding the
 * access tests' cast (access-cast.ts: a simple and a governed vault, their members and tokens)
 * and an "ops" vault of dan, eve and fay whose withdrawals wait for one approval, funded with
 * six coins; with the calls those suites make and the receivers they start.
 */
import { MESSAGE_TYPES, type VaultView } from '../../protocol/api';
import type { WebhookCreatedView, WebhookDeliveryView, WebhookEndpointView } from '../../protocol/webhooks';
import { type PumpReport, WebhookDispatcher } from '../../server/webhooks/webhook-dispatcher';
import { type AccessCast, accessCast } from './access-cast';
import type { ErrorBody, Reply } from './governed-vault';
import { type RunningCoordinator, startInProcessCoordinator } from './in-process-coordinator';
import { type TestKeyholder, testKeyholder } from './test-keyholder';
import { Receiver } from './webhook-receiver';
import { deposit, setupVault } from './vault-scenario';

export const SECOND = 1000;

export const WEBHOOK_ENV = {
  CONCLAVE_WEBHOOK_SWEEP_SECONDS: '86400', CONCLAVE_WEBHOOK_TIMEOUT_SECONDS: '0.5', CONCLAVE_WEBHOOK_MAX_ATTEMPTS: '3',
  CONCLAVE_WEBHOOK_RETRY_SECONDS: '10', CONCLAVE_WEBHOOK_MAX_RETRY_SECONDS: '3600',
};

/** A simple vault whose withdrawals wait for one approval: its keyholders administer its webhooks. */
const OPS_POLICY = { version: 1 as const, requiredApprovals: 1, maxFeeSats: '20000', maxFeeRate: '20' };

export const webhookKeyholder = (name: string) => testKeyholder(name, `${name} webhook test words one two three four five six seven eight`);

export function webhookCreate(by: TestKeyholder, body: Record<string, unknown>) {
  return by.sign(MESSAGE_TYPES.webhookCreate, { description: 'test', ...body });
}

export interface OpenWebhookStage {
  coord: RunningCoordinator;
  cast: AccessCast;
  /** The ops vault of dan, eve and fay. */
  ops: VaultView;
}

/** Made when the suite is defined, opened in its beforeAll and closed in its afterAll. */
export class WebhookStage {
  readonly dan = webhookKeyholder('dan');
  readonly eve = webhookKeyholder('eve');
  readonly fay = webhookKeyholder('fay');
  /** The coordinator's clock as the test sets it for each pass; it only moves forward. */
  clock = Date.now();
  private opened: (OpenWebhookStage & { dispatcher: WebhookDispatcher }) | null = null;
  private readonly receivers: Receiver[] = [];

  async open(): Promise<OpenWebhookStage> {
    const coord = await startInProcessCoordinator(WEBHOOK_ENV);
    try {
      const cast = await accessCast(coord);
      const ops = await setupVault(coord, [this.dan, this.eve, this.fay], 2, OPS_POLICY);
      await deposit(coord, ops, this.dan, [1_000_000n, 1_000_000n, 1_000_000n, 1_000_000n, 1_000_000n, 1_000_000n]);
      this.opened = { coord, cast, ops, dispatcher: coord.app.get(WebhookDispatcher) };
      return this.opened;
    } catch (error) {
      await coord.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const r of this.receivers) await r.stop();
    await this.opened?.coord.close();
  }

  /** One pass of the dispatcher at `at`, or at the latest time a pass ran if that is later. */
  readonly pump = (at: number): Promise<PumpReport> => {
    this.clock = Math.max(this.clock, at);
    return this.stage().dispatcher.pump(new Date(this.clock));
  };

  /** A started receiver, stopped when the stage closes. */
  readonly receiver = async (): Promise<Receiver> => {
    const r = await new Receiver().start();
    this.receivers.push(r);
    return r;
  };

  readonly create = (by: TestKeyholder, body: Record<string, unknown>) =>
    this.stage().coord.call<WebhookCreatedView & ErrorBody>('POST', '/api/v1/webhooks', webhookCreate(by, body)) as Promise<Reply<WebhookCreatedView>>;

  readonly list = (as: TestKeyholder) => this.stage().coord.call<WebhookEndpointView[] & ErrorBody>('GET', '/api/v1/webhooks', undefined, { as });

  /** An endpoint's delivery log as `as` (dan unless given) reads it; the read itself must succeed. */
  readonly deliveries = async (id: string, as: TestKeyholder = this.dan): Promise<WebhookDeliveryView[]> => {
    const res = await this.stage().coord.call<WebhookDeliveryView[]>('GET', `/api/v1/webhooks/${id}/deliveries`, undefined, { as });
    expect(res.status).toBe(200);
    return res.body;
  };

  readonly disable = (id: string, by: TestKeyholder, webhookId = id) =>
    this.stage().coord.call<WebhookEndpointView & ErrorBody>('POST', `/api/v1/webhooks/${id}/disable`, by.sign(MESSAGE_TYPES.webhookDisable, { webhookId })) as Promise<Reply<WebhookEndpointView>>;

  readonly count = async (table: string): Promise<number> => Number((await this.stage().coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  private stage() {
    if (this.opened === null) throw new Error('the webhook stage is not open: call open() in beforeAll');
    return this.opened;
  }
}
