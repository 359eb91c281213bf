/**
 * What every command gets: the signer's home (`--home`, else $CONCLAVE_HOME, else ~/.conclave),
 * output mode, local state, the coordinator client and the keystore, unlocked only for the
 * duration of a command and wiped afterwards.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConclaveError } from '../protocol/errors';
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
    try {
      return await fn(keystore);
    } finally {
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

  coordinator(): CoordinatorClient {
    return new CoordinatorClient(this.coordinatorUrl());
  }
}
