import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Each end proves it holds the cluster secret by signing the nonce the other end chose, so the
 * secret never crosses the wire and a recorded proof is worthless on another connection.
 */
export function proofOf(secret: string, role: 'initiator' | 'acceptor', nonce: Uint8Array, database: string, nodeId: number): Uint8Array {
  return createHmac('sha256', secret).update(`lode-replication|${role}|${database}|${nodeId}|`).update(nonce).digest();
}

export function isProofValid(expected: Uint8Array, given: Uint8Array): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function newNonce(): Uint8Array {
  return randomBytes(16);
}
