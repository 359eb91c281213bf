import { ConclaveError } from '../../protocol/errors';
import { checkWebhookTarget, isPrivateAddress, parseWebhookUrl } from './webhook-url';

function codeOf(action: () => unknown): string | null {
  try {
    action();
    return null;
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
}

async function asyncCodeOf(action: () => Promise<unknown>): Promise<string | null> {
  try {
    await action();
    return null;
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
}

describe('webhook URLs', () => {
  it('accepts absolute http and https URLs, loopback included', () => {
    for (const url of ['https://hooks.example.com/conclave', 'http://127.0.0.1:8080/in?x=1', 'http://[::1]:9/', 'https://localhost/']) {
      expect(parseWebhookUrl(url).href).toBeTruthy();
    }
  });

  it('refuses other schemes, credentials, fragments, relative and overlong URLs with WEBHOOK_URL_INVALID', () => {
    for (const url of ['ftp://example.com/', 'javascript:alert(1)', 'file:///etc/passwd', 'https://user:pw@example.com/', 'https://user@example.com/',
      'https://example.com/#frag', '/relative', 'not a url', `https://example.com/${'a'.repeat(2100)}`]) {
      expect([url, codeOf(() => parseWebhookUrl(url))]).toEqual([url, 'WEBHOOK_URL_INVALID']);
    }
  });

  it('knows loopback, private, link-local, CGNAT, unique-local and mapped addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe']) {
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700:4700::1111', '::ffff:808:808']) {
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
    }
  });

  it('refuses private targets only when told to, by literal and by what a name resolves to', async () => {
    const resolveTo = (addresses: string[]) => async () => addresses;
    expect(await asyncCodeOf(() => checkWebhookTarget(new URL('http://127.0.0.1/'), true))).toBeNull();
    expect(await asyncCodeOf(() => checkWebhookTarget(new URL('http://127.0.0.1/'), false))).toBe('WEBHOOK_URL_PRIVATE');
    expect(await asyncCodeOf(() => checkWebhookTarget(new URL('http://[::1]/'), false))).toBe('WEBHOOK_URL_PRIVATE');
    // WHATWG URL normalizes numeric hosts: 2130706433 is 127.0.0.1.
    expect(await asyncCodeOf(() => checkWebhookTarget(new URL('http://2130706433/'), false))).toBe('WEBHOOK_URL_PRIVATE');
    expect(await asyncCodeOf(() => checkWebhookTarget(new URL('https://hooks.example.com/'), false, resolveTo(['93.184.216.34', '10.0.0.5'])))).toBe('WEBHOOK_URL_PRIVATE');
    expect(await asyncCodeOf(() => checkWebhookTarget(new URL('https://hooks.example.com/'), false, resolveTo(['93.184.216.34'])))).toBeNull();
    expect(await asyncCodeOf(() => checkWebhookTarget(new URL('https://nowhere.invalid/'), false, async () => { throw new Error('ENOTFOUND'); }))).toBe('WEBHOOK_URL_INVALID');
  });
});
