/** `init`: create the encrypted keystore (BIP39 seed, BIP48 account key, identity key). */
import { existsSync, readFileSync } from 'node:fs';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import { networkParams } from '../../protocol/network';
import type { CliContext } from '../context';
import { createKeystore, keystorePath } from '../keystore/keystore';
import { DEFAULT_SCRYPT, TEST_SCRYPT } from '../keystore/keystore-format';
import type { CommandResult } from '../output';
import { passphraseToCreate } from '../passphrase';
import { describeAccountKey } from './whoami';

export interface InitOptions {
  network: string;
  mnemonicFile?: string;
  showMnemonic?: boolean;
}

export async function runInit(ctx: CliContext, options: InitOptions): Promise<CommandResult> {
  const network = networkParams(options.network).name;
  const path = keystorePath(ctx.home);
  if (existsSync(path)) {
    throw new ConclaveError('KEYSTORE_EXISTS', `${path}: a keystore already exists; use another --home or move it away first`);
  }
  let mnemonic: string | undefined;
  if (options.mnemonicFile !== undefined) {
    try {
      mnemonic = readFileSync(options.mnemonicFile, 'utf8');
    } catch (error) {
      throw new ConclaveError('VALIDATION_FAILED', `--mnemonic-file ${options.mnemonicFile}: ${(error as Error).message}`);
    }
  }
  const passphrase = await passphraseToCreate(ctx.options);
  // A cheap KDF is for test suites only; the choice is stored in the file, so it stays visible.
  const kdf = process.env.CONCLAVE_TEST_FAST_KDF === '1' ? TEST_SCRYPT : DEFAULT_SCRYPT;
  ctx.out.progress('Deriving the encryption key (scrypt)...');
  const created = createKeystore(ctx.home, { network, passphrase, kdf, mnemonic, now: ctx.now() });
  const pub = created.public;
  const fingerprint = identityFingerprint(pub.identityKey);
  const data: Record<string, unknown> = {
    keystore: path,
    network,
    identityKey: pub.identityKey,
    fingerprint,
    accountKey: pub.accountKey,
    restored: mnemonic !== undefined,
  };
  const text = [
    `Created keystore ${path} (${network}${mnemonic !== undefined ? ', restored from mnemonic' : ''}).`,
    `Identity fingerprint: ${fingerprint}`,
    `Account key:          ${describeAccountKey(pub.accountKey)}`,
  ];
  if (options.showMnemonic) {
    data.mnemonic = created.mnemonic;
    const words = created.mnemonic.split(' ');
    text.push('', 'Recovery words: write them down on paper, keep them offline, never type them into a website.');
    for (let i = 0; i < words.length; i += 4) {
      text.push(`  ${words.slice(i, i + 4).map((w, j) => `${String(i + j + 1).padStart(2)}. ${w.padEnd(9)}`).join(' ')}`);
    }
  } else if (mnemonic === undefined) {
    text.push('', 'The recovery words were not shown (add --show-mnemonic to init a new keystore and see them once).');
  }
  text.push('', 'Next: conclave-signer join --coordinator <url> --name <your name>');
  return { data, text };
}
