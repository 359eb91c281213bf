/**
 * `passkey link`: how a member gets their first passkey (or one for a new device) without a
 * password or a help desk. This signer signs a `session.open` with purpose `passkey-enrolment`;
 * the coordinator answers a session that lives ten minutes, may only register a passkey, and
 * ends with the first registration. The link carries it in the URL fragment (never sent to a
 * server or written to its logs) to the web app, which runs the browser's WebAuthn ceremony and
 * shows the new passkey as JSON. The passkey counts only once a quorum-approved
 * `member.replace-credentials` change pins it (`governance propose --add-passkey-file`).
 */
import QRCode from 'qrcode';
import { z } from 'zod';
import { MESSAGE_TYPES } from '../../protocol/api';
import type { SessionOpen } from '../../protocol/auth/access';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';

export interface PasskeyLinkOptions { webUrl?: string; qr?: boolean }

const infoSchema = z.object({ coordinatorKey: z.string().regex(/^[0-9a-f]{64}$/), webOrigin: z.string().nullable().optional() });
const sessionSchema = z.object({ token: z.string().min(16).max(200), expiresAt: z.string() });

function webBase(option: string | undefined, fromInfo: string | null | undefined, coordinator: string): string {
  const text = option ?? fromInfo ?? coordinator;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConclaveError('VALIDATION_FAILED', `--web-url: "${text}" is not a URL (the address the web app is opened at, e.g. https://treasury.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConclaveError('VALIDATION_FAILED', `--web-url: expected an http(s) URL, got ${url.protocol}`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export async function runPasskeyLink(ctx: CliContext, options: PasskeyLinkOptions): Promise<CommandResult> {
  const client = ctx.coordinator();
  const info = await client.get('/api/v1/info', infoSchema);
  const body: SessionOpen = { coordinatorKey: info.coordinatorKey, purpose: 'passkey-enrolment' };
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.sessionOpen, body, { now: ctx.now() }));
  const { data: session } = await client.post('/api/v1/auth/session', envelope, sessionSchema);
  const url = `${webBase(options.webUrl, info.webOrigin, client.baseUrl)}/#/enrol/${session.token}`;
  if (options.qr === true) process.stderr.write(`${await QRCode.toString(url, { type: 'terminal', small: true, errorCorrectionLevel: 'L' })}\n`);
  const next = 'then: conclave-signer governance propose <vaultId> --op member.replace-credentials --identity-key <you> --add-passkey-file passkey.json';
  return {
    data: { url, expiresAt: session.expiresAt, next },
    text: [
      'Open this link in the browser (or on the phone) that should hold your new passkey:',
      `  ${url}`,
      `It works once, until ${session.expiresAt}, and can do nothing but register a passkey: do not share it.`,
      'The page shows the new passkey as passkey.json. It counts once your vault\'s quorum pins it:',
      `  ${next}`,
    ],
  };
}
