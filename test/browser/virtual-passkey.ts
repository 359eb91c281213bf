/**
 * Passkeys for the browser tests: a P-256 key made here, pinned in the vault's governed member
 * set at formation ({ credentialId, COSE public key }), and loaded into Chromium's virtual
 * WebAuthn authenticator (DevTools protocol `WebAuthn.*`) as a discoverable credential, so the
 * page's own navigator.credentials.get() signs with it exactly as a platform authenticator would.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { base64urlnopad } from '@scure/base';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { BrowserContext, Page } from 'playwright-core';

export class VirtualPasskey {
  readonly rawId = randomBytes(16);
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  constructor(readonly identityKey: string) {}

  get credentialId(): string {
    return base64urlnopad.encode(this.rawId);
  }

  /** `{ credentialId, publicKey }` as a member set pins it (COSE EC2 / ES256, base64url). */
  get pinned(): { credentialId: string; publicKey: string } {
    const jwk = this.keys.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    const cose = isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1], [-2, base64urlnopad.decode(jwk.x)], [-3, base64urlnopad.decode(jwk.y)],
    ]));
    return { credentialId: this.credentialId, publicKey: base64urlnopad.encode(cose) };
  }

  /** A virtual authenticator (user present and verified) in `page`, holding this passkey. */
  async install(context: BrowserContext, page: Page, rpId: string): Promise<void> {
    const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
    const pkcs8 = this.keys.privateKey.export({ format: 'der', type: 'pkcs8' });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: this.rawId.toString('base64'), isResidentCredential: true, rpId,
        privateKey: pkcs8.toString('base64'), userHandle: Buffer.from(this.identityKey, 'hex').toString('base64'), signCount: 0,
      },
    });
  }
}

/**
 * An empty virtual platform authenticator (user present and verified) in `page`: what a new
 * laptop's passkey store is before the member registers one. `credentials` lists what it holds.
 */
export async function virtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  return { cdp, authenticatorId, credentials };
}
