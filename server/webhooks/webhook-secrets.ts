/**
 * Webhook secrets at rest. The coordinator must keep each endpoint's secret to sign its
 * deliveries (an HMAC key cannot be stored as a hash), so it is sealed with AES-256-GCM under a
 * key derived from the coordinator's identity key file (CoordinatorIdentity.derivedKey), bound to
 * its endpoint id: a copy of the database alone opens nothing, and a sealed secret moved to
 * another endpoint's row does not open. Instances sharing a database share the key file, so
 * each of them can open every secret.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ConclaveError } from '../../protocol/errors';
import { CoordinatorIdentity } from '../audit/coordinator-identity';
import { Random } from '../common/clock';

const VERSION = 'v1';
const TAG_BYTES = 16;

@Injectable()
export class WebhookSecrets {
  private readonly key: Uint8Array;

  constructor(identity: CoordinatorIdentity, private readonly random: Random) {
    this.key = identity.derivedKey('webhook-secrets');
  }

  seal(endpointId: string, secret: string): string {
    const nonce = this.random.bytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(endpointId, 'utf8'));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${bytesToHex(nonce)}.${sealed.toString('hex')}`;
  }

  open(endpointId: string, sealed: string): string {
    const [version, nonce, data] = sealed.split('.');
    try {
      if (version !== VERSION || nonce === undefined || data === undefined) throw new Error('format');
      const bytes = hexToBytes(data);
      const decipher = createDecipheriv('aes-256-gcm', this.key, hexToBytes(nonce));
      decipher.setAAD(Buffer.from(endpointId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // Another key file than the one that sealed it, or an altered row: the operator's to fix.
      throw new ConclaveError('INTERNAL', `webhook ${endpointId}: its secret does not open under this coordinator's key file (CONCLAVE_SERVER_KEY_FILE)`);
    }
  }
}
