/**
 * `setup confirm <setupId> [--yes]`: BIP129 "Round 2", Signer, then the root-of-trust step of
 * `vault pin`. The descriptor record the opener signed is opened with this signer's own token
 * (its MAC authenticates it), and checked as BIP129 requires (protocol/bsms/signer-check.ts):
 * own KEY by exact match, path restrictions, the first address derived here and compared. It
 * shows M, N and this signer's position; the coordinator's vault must have exactly the record's
 * descriptor; then the vault is pinned and confirmed exactly as `vault pin` does it.
 */
import { z } from 'zod';
import { idSchema } from '../../protocol/api';
import { checkDescriptorRecord, keyRecordKey, openRecord, vaultFromDescriptorRecord } from '../../protocol/bsms';
import { descriptorHash, parseVaultDescriptor } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import { vaultViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { fetchSetup } from '../setup/relayed-setup';
import { ensureSessionOpen, findSession, requireSession, saveSession, signerSession } from '../setup/session';
import { parseArg } from '../validate';
import { pinAndConfirmVault } from './vault-pin';

export interface SetupConfirmOptions {
  yes?: boolean;
  /** The token, when this signer has no session yet (its key record was exported by file and imported by the opener). */
  token?: string;
}

export async function runSetupConfirm(ctx: CliContext, setupId: string, options: SetupConfirmOptions): Promise<CommandResult> {
  parseArg(idSchema, setupId, 'setupId');
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const setup = await fetchSetup(client, setupId);
  const session = findSession(ctx, setupId)?.role === 'opener' ? requireSession(ctx, setupId, 'opener') : signerSession(ctx, setup, pub, options.token);
  ensureSessionOpen(session, ctx.now());
  if (setup.descriptor === null) {
    throw new ConclaveError('SETUP_INCOMPLETE', `setup ${setupId}: the opener has not sent the descriptor record yet ("setup finish")`);
  }
  const token = session.tokens[0];
  const sealed = setup.descriptor.records !== undefined ? setup.descriptor.records[pub.identityKey] : setup.descriptor.record;
  if (sealed === undefined) {
    throw new ConclaveError('BSMS_KEY_NOT_IN_DESCRIPTOR', `setup ${setupId}: the opener sent no descriptor record for you; your key record was not used`);
  }
  const text = openRecord(token, sealed);
  const check = checkDescriptorRecord(text, { network: pub.network, ownKey: keyRecordKey(pub.accountKey) });
  const recordVault = vaultFromDescriptorRecord(text, pub.network);
  // M and N as the opener announced them in its signed setup.open.
  if (check.threshold !== setup.open.threshold || check.keyCount !== setup.open.keyholders) {
    throw new ConclaveError('PIN_MISMATCH', `setup ${setupId}: the descriptor record is ${check.threshold} of ${check.keyCount}, but the setup was opened as ${setup.open.threshold} of ${setup.open.keyholders}`);
  }
  const hash = descriptorHash(recordVault);

  const vaults = await client.get('/api/v1/vaults', z.array(vaultViewSchema));
  const vault = vaults.find((v) => {
    try {
      return descriptorHash(parseVaultDescriptor(v.descriptor, pub.network)) === hash;
    } catch {
      return false;
    }
  });
  if (vault === undefined) {
    throw new ConclaveError('VAULT_NOT_FOUND', `setup ${setupId}: the coordinator has no vault with the record's descriptor yet; the opener runs "setup finish ${setupId}"`);
  }
  if (session.vaultId !== undefined && session.vaultId !== vault.id) {
    throw new ConclaveError('PIN_MISMATCH', `setup ${setupId}: produced vault ${session.vaultId}, but the coordinator now shows it as ${vault.id}`);
  }

  const positions = check.positions.join(', ');
  const preface = [
    `BSMS descriptor record of setup "${setup.open.name}" ${setupId}, from the opener ${identityFingerprint(setup.opener)}:`,
    `  ${check.threshold} of ${check.keyCount}; your key is key ${positions} of ${check.keyCount} (exact match of fingerprint, path and xpub)`,
    `  path restrictions ${check.pathRestrictions}; first address derived here: ${check.firstAddress} (equal to the record's)`,
    `  the coordinator's vault ${vault.id} has exactly this descriptor`,
  ];
  // The vault pinned is the one whose descriptor hash equals the record's (found above), so
  // what vault pin derives and shows is what the record says.
  const pinned = await pinAndConfirmVault(ctx, vault.id, vault, { yes: options.yes, preface });
  saveSession(ctx, { ...session, vaultId: vault.id, descriptorRecord: text });
  return {
    data: {
      ...pinned.data, setupId, mode: session.mode, bsms: { threshold: check.threshold, keyCount: check.keyCount, positions: check.positions, firstAddress: check.firstAddress, pathRestrictions: check.pathRestrictions },
    },
    text: pinned.text,
  };
}
