import { CoordinatorIdentity } from '../audit/coordinator-identity';
import { Random } from '../common/clock';
import { WebhookSecrets } from './webhook-secrets';

describe('webhook secrets at rest', () => {
  const identity = CoordinatorIdentity.fromSecret(new Uint8Array(32).fill(7));
  const secrets = new WebhookSecrets(identity, new Random());
  const id = '6f1c4b2e-8a8e-4c55-9d55-2f4c1a7e9b10';

  it('seals so that the stored text does not show the secret, and opens it again', () => {
    const sealed = secrets.seal(id, 'whsec_0123456789abcdef');
    expect(sealed).not.toContain('0123456789abcdef');
    expect(secrets.open(id, sealed)).toBe('whsec_0123456789abcdef');
  });

  it('does not open under another endpoint id, another key file, or after an edit', () => {
    const sealed = secrets.seal(id, 'whsec_secret');
    expect(() => secrets.open('00000000-0000-4000-8000-000000000000', sealed)).toThrow(/does not open/);
    const other = new WebhookSecrets(CoordinatorIdentity.fromSecret(new Uint8Array(32).fill(8)), new Random());
    expect(() => other.open(id, sealed)).toThrow(/does not open/);
    const flipped = sealed.slice(0, -1) + (sealed.endsWith('0') ? '1' : '0');
    expect(() => secrets.open(id, flipped)).toThrow(/does not open/);
  });
});
