/**
 * `setup join <setupId> --token <token> [--description <text>]`: BIP129 "Round 1", Signer.
 * Reads the setup as the opener signed it (never as the coordinator merely says), checks the
 * token's mode and the session's expiry by this machine's clock, and with a shared token
 * checks the token against the opener's own sealed key record (a wrong token is refused before
 * anything is sent). Then it sends this signer's key record, KEY = its BIP48 account key with
 * origin, signed by that key and sealed with the token, and keeps the session in state.json.
 */
import { MESSAGE_TYPES, idSchema, setupKeyRecordSchema, type SetupKeyRecord } from '../../protocol/api';
import { openRecord, parseKeyRecord, sealRecord } from '../../protocol/bsms';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { fetchSetup, setupViewSchema } from '../setup/relayed-setup';
import { defaultDescription, ownKeyRecord, saveSession, signerSession } from '../setup/session';
import { parseArg } from '../validate';
import { describeAccountKey } from './whoami';

export interface SetupJoinOptions { token: string; description?: string }

export async function runSetupJoin(ctx: CliContext, setupId: string, options: SetupJoinOptions): Promise<CommandResult> {
  parseArg(idSchema, setupId, 'setupId');
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const setup = await fetchSetup(client, setupId);
  const { open } = setup;
  const session = signerSession(ctx, setup, pub, options.token);
  const token = session.tokens[0];
  const mode = session.mode;

  // With one token for all, the opener's sealed key record proves the token: its MAC verifies
  // only under the right one. (EXTENDED tokens differ per keyholder; the opener checks them.)
  const openers = setup.keyRecords.find((r) => r.member === setup.opener);
  let openerKey: string | null = null;
  if (mode !== 'EXTENDED' && openers !== undefined) {
    openerKey = parseKeyRecord(openRecord(token, openers.sealed), { token }).key;
  }

  const description = options.description ?? defaultDescription(pub);
  const mine = setup.keyRecords.find((r) => r.member === pub.identityKey);
  const result = await ctx.withKeystore(async (keystore) => {
    const sealed = sealRecord(token, ownKeyRecord(keystore, token, description));
    if (mine !== undefined) {
      // Records are deterministic: the same bytes mean a retry of this same join.
      if (mine.sealed !== sealed) throw new ConclaveError('SETUP_KEY_RECORD_EXISTS', `setup ${setupId}: the coordinator already holds another key record of yours`);
      saveSession(ctx, session);
      return { position: setup.keyRecords.indexOf(mine) + 1, received: setup.keyRecords.length, alreadySent: true };
    }
    saveSession(ctx, session);
    const body: SetupKeyRecord = parseArg(setupKeyRecordSchema, { setupId, record: sealed }, 'key record');
    const sent = await client.post(`/api/v1/setups/${setupId}/key-records`, keystore.signEnvelope(MESSAGE_TYPES.setupKeyRecord, body, { now: ctx.now() }), setupViewSchema);
    const at = sent.data.keyRecords.findIndex((r) => r.member === pub.identityKey);
    return { position: at + 1, received: sent.data.keyRecords.length, alreadySent: false };
  });

  const openerFingerprint = identityFingerprint(setup.opener);
  return {
    data: {
      setupId, name: open.name, network: open.network, threshold: open.threshold, keyholders: open.keyholders, mode, expiresAt: session.expiresAt,
      opener: setup.opener, openerFingerprint, openerKey, position: result.position, received: result.received, alreadySent: result.alreadySent,
      key: describeAccountKey(pub.accountKey),
    },
    text: [
      `Setup "${open.name}" ${setupId}: ${open.threshold} of ${open.keyholders} on ${open.network}, BIP129 ${mode}, expires ${session.expiresAt}.`,
      `Opened by ${openerFingerprint}: compare with the opener out of band.`,
      ...(openerKey ? [`The token opens the opener's key record: ${openerKey}`] : []),
      `${result.alreadySent ? 'Your key record was already there' : 'Sent your key record'}: key ${result.position} of ${open.keyholders} (${result.received} received).`,
      `Your key: ${describeAccountKey(pub.accountKey)}`,
      `Next: when the opener has run "setup finish", run: conclave-signer setup confirm ${setupId}`,
    ],
  };
}
