/**
 * Addresses to output scripts for one network, with errors that tell a wrong-network address
 * apart from a malformed one; and Bitcoin Core's dust threshold for an output script.
 */
import { Address, OutScript } from '@scure/btc-signer';
import { ConclaveError } from './errors';
import { NETWORK_NAMES, type NetworkName, networkParams } from './network';

function tryDecode(address: string, network: NetworkName): Uint8Array | null {
  try {
    return OutScript.encode(Address(networkParams(network)).decode(address));
  } catch {
    return null;
  }
}

export function addressToScript(address: string, network: NetworkName, field = 'address'): Uint8Array {
  const script = tryDecode(address, network);
  if (script) return script;
  const other = NETWORK_NAMES.find((n) => n !== network && tryDecode(address, n));
  if (other) throw new ConclaveError('ADDRESS_WRONG_NETWORK', `${field}: ${address} is a ${other} address; this vault is on ${network}`);
  throw new ConclaveError('ADDRESS_INVALID', `${field}: ${address} is not a valid address`);
}

export function scriptToAddress(script: Uint8Array, network: NetworkName): string | null {
  try {
    return Address(networkParams(network)).encode(OutScript.decode(script));
  } catch {
    return null;
  }
}

/**
 * Core's GetDustThreshold at the default dustrelayfee of 3 sat/vB: the output's size plus
 * the size of the input that would spend it (67 bytes for witness programs, 148 otherwise).
 */
export function dustThreshold(script: Uint8Array): bigint {
  const outputSize = 8 + 1 + script.length;
  const isWitnessProgram = script.length >= 4 && script.length <= 42 && (script[0] === 0 || (script[0]! >= 0x51 && script[0]! <= 0x60)) && script[1] === script.length - 2;
  return BigInt((outputSize + (isWitnessProgram ? 67 : 148)) * 3);
}
