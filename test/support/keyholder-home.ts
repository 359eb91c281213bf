/**
 * A signer-cli home whose keystore holds a TestKeyholder's own keys (its mnemonic and identity
 * secret, encrypted as `init` encrypts them), so that the CLI's commands, run in this process
 * through signer-cli's `main`, act as a keyholder that in-process tests set a vault up with.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { deriveAccount } from '../../signer-cli/keystore/account';
import { TEST_SCRYPT, encryptKeystore } from '../../signer-cli/keystore/keystore-format';
import { KEYSTORE_FILE } from '../../signer-cli/keystore/keystore';
import type { TestKeyholder } from './test-keyholder';

export function keyholderHome(k: TestKeyholder, mnemonic: string, passphrase: string): string {
  const home = mkdtempSync(join(tmpdir(), `conclave-home-${k.name}-`));
  const { account, origin } = deriveAccount(mnemonic, 'regtest');
  account.wipePrivateData();
  if (origin.xpub !== k.accountKey.xpub) throw new Error(`${k.name}: the mnemonic given is not this keyholder's`);
  const file = encryptKeystore(
    { network: 'regtest', createdAt: new Date().toISOString(), identityKey: k.identityKey, accountKey: origin },
    { entropy: mnemonicToEntropy(mnemonic, wordlist), identitySecret: k.identitySecret.slice() },
    passphrase,
    { kdf: TEST_SCRYPT, randomBytes: (n) => new Uint8Array(randomBytes(n)) },
  );
  writeFileSync(join(home, KEYSTORE_FILE), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return home;
}
