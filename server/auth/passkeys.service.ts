/**
 * Passkeys on the web (issue 5), checked with @simplewebauthn/server against the coordinator's
 * copy of the pinned member sets:
 *  - sign-in: a challenge (single use, short-lived), then an assertion by a passkey pinned for
 *    a member of a version-2 vault, which opens a session for that member;
 *  - registration: a signed-in member creates a passkey and gets back its verified
 *    `{ credentialId, publicKey }`. Registering pins nothing: the passkey counts only once a
 *    quorum-approved member change (member.add or member.replace-credentials) names it, as
 *    every signer checks for itself. So no support-desk reset exists here. A member without a
 *    passkey yet registers through an enrolment link (`signer-cli passkey link`), a session
 *    opened with their identity key that serves this one registration.
 */
import { Inject, Injectable } from '@nestjs/common';
import { hexToBytes } from '@noble/hashes/utils.js';
import { base64urlnopad } from '@scure/base';
import {
  type AuthenticationResponseJSON, generateAuthenticationOptions, generateRegistrationOptions, type RegistrationResponseJSON,
  verifyAuthenticationResponse, verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { LessThanOrEqual } from 'typeorm';
import { z } from 'zod';
import { ConclaveError } from '../../protocol/errors';
import { passkeySchema } from '../../protocol/policy-engine/members';
import { es256PublicKey } from '../../protocol/webauthn/verify-passkey-statement';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import type { MemberPrincipal } from './principal';
import { RoleDirectory } from './roles';
import { type SessionView, SessionsService } from './sessions.service';
import { WebauthnChallengeEntity } from './webauthn-challenge.entity';

/** How long a challenge may be answered: a ceremony takes seconds. */
export const CHALLENGE_LIFETIME_SECONDS = 300;
const ES256 = -7;

const b64u = z.string().min(1).max(8192).regex(/^[A-Za-z0-9_-]+$/, 'expected base64url');
const assertionSchema = z.object({
  id: b64u, rawId: b64u, type: z.literal('public-key'),
  response: z.object({ clientDataJSON: b64u, authenticatorData: b64u, signature: b64u, userHandle: b64u.optional() }).strict(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
}).strict();
const attestationSchema = z.object({
  id: b64u, rawId: b64u, type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64u, attestationObject: b64u, transports: z.array(z.string().max(32)).max(8).optional(),
    authenticatorData: b64u.optional(), publicKey: b64u.optional(), publicKeyAlgorithm: z.number().int().optional(),
  }).strict(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
}).strict();
const signInSchema = z.object({ response: assertionSchema }).strict();
const registrationSchema = z.object({ response: attestationSchema }).strict();

@Injectable()
export class PasskeysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionRunner,
    private readonly roles: RoleDirectory,
    private readonly sessions: SessionsService,
    private readonly clock: Clock,
  ) {}

  async signInOptions(): Promise<unknown> {
    const options = await generateAuthenticationOptions({ rpID: this.config.webauthn.rpId, userVerification: 'required', timeout: CHALLENGE_LIFETIME_SECONDS * 1000 });
    await this.storeChallenge(options.challenge, 'sign-in', null);
    return options;
  }

  async signIn(input: unknown): Promise<SessionView> {
    const { response } = parseWith(signInSchema, input, 'body');
    await this.consumeChallenge(challengeOf(response.response.clientDataJSON), 'sign-in', null);
    const owner = await this.roles.passkeyOwner(response.id);
    if (owner === null) throw new ConclaveError('PASSKEY_NOT_PINNED', `credential ${response.id}: not a passkey pinned for any member`);
    const publicKey = cosePublicKey(owner.passkey.publicKey);
    await this.verify('assertion', () => verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: () => true, // matched and used up above
      expectedOrigin: this.config.webauthn.origins,
      expectedRPID: this.config.webauthn.rpId,
      credential: { id: owner.passkey.credentialId, publicKey, counter: 0 },
      requireUserVerification: true,
    }));
    return this.tx.run(async (manager) => this.sessions.open(manager, await this.roles.standing(owner.identityKey, manager), 'passkey'));
  }

  async registrationOptions(member: MemberPrincipal): Promise<unknown> {
    const standing = await this.roles.standing(member.identityKey);
    const options = await generateRegistrationOptions({
      rpName: 'Conclave', rpID: this.config.webauthn.rpId,
      userName: standing.name ?? member.identityKey.slice(0, 16), userDisplayName: standing.name ?? undefined,
      userID: hexToBytes(member.identityKey),
      attestationType: 'none', supportedAlgorithmIDs: [ES256],
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      excludeCredentials: standing.passkeys.map((p) => ({ id: p.credentialId })),
      timeout: CHALLENGE_LIFETIME_SECONDS * 1000,
    });
    await this.storeChallenge(options.challenge, 'registration', member.identityKey);
    return options;
  }

  async register(member: MemberPrincipal, input: unknown): Promise<{ passkey: { credentialId: string; publicKey: string }; pinned: false; next: string }> {
    const { response } = parseWith(registrationSchema, input, 'body');
    await this.consumeChallenge(challengeOf(response.response.clientDataJSON), 'registration', member.identityKey);
    const verified = await this.verify('registration', () => verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: () => true, // matched and used up above
      expectedOrigin: this.config.webauthn.origins,
      expectedRPID: this.config.webauthn.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: [ES256],
    }));
    if (!verified.verified) throw new ConclaveError('PASSKEY_BAD_SIGNATURE', 'registration: the attestation does not verify');
    const passkey = parseWith(passkeySchema, {
      credentialId: verified.registrationInfo.credential.id,
      publicKey: base64urlnopad.encode(verified.registrationInfo.credential.publicKey),
    }, 'passkey');
    es256PublicKey(passkey.publicKey);
    // An enrolment link registers one passkey; after that its session is of no further use.
    if (member.via === 'enrolment' && member.sessionId !== undefined) await this.sessions.close(member.sessionId);
    return {
      passkey, pinned: false,
      next: 'propose a member.replace-credentials (or member.add) change naming this passkey; it counts once the quorum has approved it',
    };
  }

  private async storeChallenge(challenge: string, purpose: WebauthnChallengeEntity['purpose'], identityKey: string | null): Promise<void> {
    const now = this.clock.now();
    await this.tx.run(async (manager) => {
      const repo = manager.getRepository(WebauthnChallengeEntity);
      await repo.delete({ expiresAt: LessThanOrEqual(now.toISOString()) });
      await repo.insert({ challenge, purpose, identityKey, expiresAt: new Date(now.getTime() + CHALLENGE_LIFETIME_SECONDS * 1000).toISOString() });
    });
  }

  /** Used once whatever follows: a failed ceremony cannot be retried with the same challenge. */
  private async consumeChallenge(challenge: string, purpose: WebauthnChallengeEntity['purpose'], identityKey: string | null): Promise<void> {
    const found = await this.tx.run(async (manager) => {
      const repo = manager.getRepository(WebauthnChallengeEntity);
      const row = challenge.length > 0 && challenge.length <= 64 ? await repo.findOne({ where: { challenge } }) : null;
      if (row) await repo.delete({ challenge });
      return row;
    });
    if (found === null || found.purpose !== purpose || found.identityKey !== identityKey || Date.parse(found.expiresAt) <= this.clock.now().getTime()) {
      throw new ConclaveError('PASSKEY_CHALLENGE_UNKNOWN', `clientDataJSON.challenge: not a live ${purpose} challenge of this coordinator${purpose === 'registration' ? ' for this member' : ''}; ask for new options`);
    }
  }

  private async verify<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ConclaveError) throw error;
      throw new ConclaveError('PASSKEY_BAD_SIGNATURE', `${what}: ${(error as Error).message}`);
    }
  }
}

function challengeOf(clientDataJSON: string): string {
  try {
    const data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64urlnopad.decode(clientDataJSON))) as { challenge?: unknown };
    return typeof data.challenge === 'string' ? data.challenge : '';
  } catch {
    throw new ConclaveError('PASSKEY_INVALID', 'response.clientDataJSON: not base64url JSON');
  }
}

function cosePublicKey(publicKey: string): Uint8Array<ArrayBuffer> {
  es256PublicKey(publicKey);
  return new Uint8Array(base64urlnopad.decode(publicKey));
}
