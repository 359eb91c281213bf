/**
 * `offline sign <bundle> --out <response> [--qr] [--ur-out <file>] [--yes]`, on the offline
 * machine: checks the bundle (format, completeness, hash, a vault pinned here), verifies and
 * signs it with the code `listen` runs (offline/sign-bundle.ts), and writes the signed
 * statements for the online side to submit. It never contacts a coordinator: no client is made.
 * The bundle may be a JSON file or UR parts, one per line (what a QR scanner reads).
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import { writeFileAtomic } from '../files';
import { showQr } from '../offline/qr-display';
import { readRequestFile } from '../offline/request-bundle';
import { encodeResponse } from '../offline/response-file';
import { signBundle } from '../offline/sign-bundle';
import { encodeUrParts } from '../offline/ur-codec';
import type { CommandResult } from '../output';

export interface OfflineSignOptions { out?: string; qr?: boolean; urOut?: string; yes?: boolean }

export async function runOfflineSign(ctx: CliContext, bundleFile: string, options: OfflineSignOptions): Promise<CommandResult> {
  if (options.out === undefined && options.urOut === undefined && options.qr !== true) {
    throw new ConclaveError('VALIDATION_FAILED', 'offline sign: say where the response goes: --out <file>, --ur-out <file> and/or --qr');
  }
  const request = readRequestFile(bundleFile);
  const signed = await signBundle(ctx, request, { yes: options.yes === true });
  const signer = signed.statements[0]!.signer;
  const text = encodeResponse({ vaultId: request.vaultId, withdrawalId: request.withdrawalId, signer, signedAt: ctx.now().toISOString(), statements: signed.statements });
  const bytes = utf8ToBytes(text);
  // Signed statements, no secret: the journal entry (or the sealed nonces) are what stays here.
  if (options.out !== undefined) writeFileAtomic(options.out, text, 0o644);
  const parts = encodeUrParts(bytes);
  if (options.urOut !== undefined) writeFileAtomic(options.urOut, `${parts.join('\n')}\n`, 0o644);
  if (options.qr === true) await showQr(bytes, `signed answer for withdrawal ${request.withdrawalId}`);
  const statements = signed.statements.map((s) => s.type);
  return {
    data: { ...signed.data, statements, out: options.out ?? null, urOut: options.urOut ?? null, urParts: parts.length },
    text: [
      ...signed.text,
      `Answer: ${statements.join(', ')}${options.out === undefined ? '' : `, written to ${options.out}`}; carry it to the online machine and run "conclave-signer offline submit <response>" there (within 24 hours).`,
    ],
  };
}
