/**
 * What every command gets: the signer's home (`--home`, else $CONCLAVE_HOME, else ~/.conclave),
 * output mode, local state, the coordinator client and the keystore, unlocked only for the
 * duration of a command and wiped afterwards.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConclaveError } from '../protocol/errors';
import { MESSAGE_TYPES } from '../protocol/api';
import { CoordinatorClient, parseCoordinatorUrl } from './coordinator/client';
import { readKeystorePublic, unlockKeystore, type UnlockedKeystore } from './keystore/keystore';
import type { KeystorePublic } from './keystore/keystore-format';
import { Output } from './output';
import { passphraseToUnlock } from './passphrase';
import { StateStore } from './state/state-file';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  passphraseFile?: string;
  coordinator?: string;
}

export function resolveHome(option: string | undefined): string {
  return option ?? process.env.CONCLAVE_HOME ?? join(homedir(), '.conclave');
}

export class CliContext {
  readonly home: string;
  readonly out: Output;
  readonly state: StateStore;
  /** The keystore while a command holds it unlocked: it also signs the REST session in. */
  private unlocked: UnlockedKeystore | null = null;
  private client: CoordinatorClient | null = null;

  constructor(readonly options: GlobalOptions) {
    this.home = resolveHome(options.home);
    this.out = new Output(options.json === true);
    this.state = new StateStore(this.home);
  }

  now(): Date {
    return new Date();
  }

  keystorePublic(): KeystorePublic {
    return readKeystorePublic(this.home);
  }

  async unlock(): Promise<UnlockedKeystore> {
    readKeystorePublic(this.home); // KEYSTORE_MISSING before asking for a passphrase
    const passphrase = await passphraseToUnlock(this.options);
    this.out.progress('Unlocking keystore...');
    return unlockKeystore(this.home, passphrase);
  }

  /** Runs `fn` with the keystore unlocked, and wipes the secrets whatever happens. */
  async withKeystore<T>(fn: (keystore: UnlockedKeystore) => Promise<T>): Promise<T> {
    const keystore = await this.unlock();
    return this.holding(keystore, () => fn(keystore));
  }

  /** Runs `fn` while `keystore` is unlocked (so it can sign a session in), and wipes it afterwards. */
  async holding<T>(keystore: UnlockedKeystore, fn: () => Promise<T>): Promise<T> {
    const outer = this.unlocked;
    this.unlocked = keystore;
    try {
      return await fn();
    } finally {
      this.unlocked = outer;
      keystore.wipe();
    }
  }

  coordinatorUrl(): string {
    const url = this.options.coordinator ?? this.state.read().coordinator;
    if (url === null || url === undefined) {
      throw new ConclaveError('VALIDATION_FAILED', 'coordinator: none known; run "join --coordinator <url> --name <name>" or pass --coordinator');
    }
    return parseCoordinatorUrl(url);
  }

  /**
   * One client per command, so its REST session (opened only when a read needs one, with the
   * keystore held by the command or, failing that, unlocked just to sign in) serves every request.
   */
  coordinator(): CoordinatorClient {
    const url = this.coordinatorUrl();
    if (this.client?.baseUrl !== url) this.client = new CoordinatorClient(url, (coordinatorKey) => this.signSessionOpen(coordinatorKey));
    return this.client;
  }

  private async signSessionOpen(coordinatorKey: string): Promise<unknown> {
    const sign = (keystore: UnlockedKeystore) => keystore.signEnvelope(MESSAGE_TYPES.sessionOpen, { coordinatorKey }, { now: this.now() });
    if (this.unlocked !== null) return sign(this.unlocked);
    return this.withKeystore(async (keystore) => sign(keystore));
  }
}
