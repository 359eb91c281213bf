/**
 * The text Sparrow Wallet imports as an "Output Descriptor" (File > Import Wallet, or New
 * Wallet > Settings > Edit descriptor): the BIP389 `<0;1>` multipath descriptor with its BIP380
 * checksum, for either kind of vault (Sparrow watches `tr(xpub/<0;1>/*)` too).
 *
 * Sparrow's own descriptor export opens with `# Receive and change descriptor (BIP389):`, and
 * its importer (sparrow `io/Descriptor.java`, getParagraphs) skips lines that start with `#`
 * and takes the first paragraph, so one comment line above the descriptor is safe.
 */
import { type VaultDescriptor, formatVaultDescriptor } from '../descriptor';

export interface SparrowExportOptions {
  /** Vault name for the comment line; control characters are dropped so it stays one line. */
  name?: string;
}

export function sparrowDescriptorExport(d: VaultDescriptor, options: SparrowExportOptions = {}): string {
  const descriptor = formatVaultDescriptor(d);
  // eslint-disable-next-line no-control-regex
  const name = options.name?.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  const kind = d.kind === 'tr-frost' ? 'FROST Taproot' : `${d.threshold}-of-${d.keys.length} multisig`;
  const header = `# Conclave ${kind} vault${name ? ` "${name}"` : ''}: receive and change descriptor (BIP389)`;
  return `${header}\n${descriptor}\n`;
}
