/**
 * `vault create --name <n> --threshold <m> --member <identityKey|name> ... [--approvals <n>
 * --max-fee <sats> --max-fee-rate <sat/vB> | --policy-file <file>]`: build the vault
 * descriptor from the members' BIP48 account keys, in the order given, and propose it with a
 * vault.create envelope, under a simple or a governed policy (vault/policy-options.ts). Creating does not pin: every keyholder, the creator included, checks
 * the vault with `vault pin` before using it.
 */
import { z } from 'zod';
import { MESSAGE_TYPES, vaultCreateSchema, type VaultCreate } from '../../protocol/api';
import type { VaultPolicy } from '../../protocol/policy';
import { deriveVaultScript, descriptorHash, formatVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import type { NetworkName } from '../../protocol/network';
import type { CliContext } from '../context';
import { memberViewSchema, vaultViewSchema, type MemberViewParsed } from '../coordinator/views';
import type { CommandResult } from '../output';
import { parseArg, parseCount } from '../validate';
import { type PolicyOptions, policyFromOptions } from '../vault/policy-options';
import { policyLines } from '../vault/policy-text';
import { describeAccountKey } from './whoami';

export interface VaultCreateOptions extends PolicyOptions {
  name: string;
  threshold: string;
  member: string[];
}

export async function runVaultCreate(ctx: CliContext, options: VaultCreateOptions): Promise<CommandResult> {
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const specs = options.member ?? [];
  if (specs.length === 0) throw new ConclaveError('VALIDATION_FAILED', '--member: name at least one keyholder');
  const threshold = parseCount(options.threshold, '--threshold', 1, specs.length);

  const all = await client.get('/api/v1/members', z.array(memberViewSchema));
  const members = specs.map((spec) => resolveMember(all, spec));
  const keys = members.map((m) => m.identityKey);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate !== undefined) throw new ConclaveError('VALIDATION_FAILED', `--member: ${identityFingerprint(duplicate)} is listed twice`);
  for (const m of members) {
    if (m.network !== pub.network) throw new ConclaveError('VALIDATION_FAILED', `--member ${m.name}: joined on ${m.network}, this signer runs on ${pub.network}`);
  }

  const descriptor = formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: pub.network, threshold, keys: members.map((m) => m.accountKey) });
  const parsed = parseVaultDescriptor(descriptor, pub.network);
  const policy: VaultPolicy = policyFromOptions(options, keys, pub.network);
  const body: VaultCreate = parseArg(vaultCreateSchema, { name: options.name, network: pub.network, threshold, members: keys, descriptor, policy }, '--name');
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.vaultCreate, body, { now: ctx.now() }));
  const { data: vault } = await client.post('/api/v1/vaults', envelope, vaultViewSchema);
  if (!sameDescriptor(vault.descriptor, descriptorHash(parsed), pub.network)) {
    throw new ConclaveError('PIN_MISMATCH', `coordinator: vault ${vault.id} was recorded with another descriptor than the one signed`);
  }

  const firstAddress = deriveVaultScript(parsed, 0, 0).address;
  const rows = members.map((m, i) => ({
    position: i,
    name: m.name,
    identityKey: m.identityKey,
    fingerprint: identityFingerprint(m.identityKey),
    accountKey: m.accountKey,
  }));
  return {
    data: {
      vaultId: vault.id,
      name: vault.name,
      network: pub.network,
      threshold,
      policy,
      descriptor,
      descriptorHash: descriptorHash(parsed),
      firstAddress,
      members: rows,
    },
    text: [
      `Created vault "${vault.name}" ${vault.id}: ${threshold} of ${members.length} on ${pub.network}.`,
      'Keyholders (compare each fingerprint with its owner out of band):',
      ...rows.flatMap((r) => [`  ${r.position + 1}. ${r.name}  ${r.fingerprint}`, `     ${describeAccountKey(r.accountKey)}`]),
      ...policyLines(policy),
      `Descriptor:    ${descriptor}`,
      `First address: ${firstAddress}`,
      `Next: every keyholder runs "conclave-signer vault pin ${vault.id}".`,
    ],
  };
}

function sameDescriptor(text: string, hash: string, network: NetworkName): boolean {
  try {
    return descriptorHash(parseVaultDescriptor(text, network)) === hash;
  } catch {
    return false;
  }
}

/** A member named on the command line by identity key or by name (which must be unambiguous). */
export function resolveMember(all: MemberViewParsed[], spec: string, option = '--member'): MemberViewParsed {
  if (/^[0-9a-f]{64}$/.test(spec)) {
    const byKey = all.find((m) => m.identityKey === spec);
    if (byKey === undefined) throw new ConclaveError('VALIDATION_FAILED', `${option} ${spec}: no member with this identity key`);
    return byKey;
  }
  const byName = all.filter((m) => m.name === spec);
  if (byName.length === 0) throw new ConclaveError('VALIDATION_FAILED', `${option} ${spec}: no member of that name (run "members")`);
  if (byName.length > 1) throw new ConclaveError('VALIDATION_FAILED', `${option} ${spec}: several members have that name; give the identity key`);
  return byName[0];
}
