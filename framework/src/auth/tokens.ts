import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { LodeError } from '../errors/index.js';
import type { SystemStore } from '../storage/index.js';

export type TokenKind = 'access' | 'refresh';

const KEYS = 'signing-key';
const META = 'auth';

/**
 * HS256 JSON Web Tokens signed with a key generated on first start and kept in the system store.
 * Tokens name their key (`kid`), so `rotate()` starts signing with a new key while tokens signed
 * with older ones stay valid until they expire (or the old key is removed).
 */
export class TokenSigner {
  readonly #store: SystemStore;
  #current: { kid: string; secret: Uint8Array };

  private constructor(store: SystemStore, current: { kid: string; secret: Uint8Array }) {
    this.#store = store;
    this.#current = current;
  }

  static async open(store: SystemStore): Promise<TokenSigner> {
    const kid = store.get<string>(META, 'current-key');
    const secret = kid === undefined ? undefined : store.get<string>(KEYS, kid);
    if (kid !== undefined && secret !== undefined) return new TokenSigner(store, { kid, secret: Buffer.from(secret, 'base64') });
    const signer = new TokenSigner(store, { kid: '', secret: new Uint8Array() });
    await signer.rotate();
    return signer;
  }

  async rotate(): Promise<string> {
    const kid = randomUUID();
    const secret = randomBytes(32);
    await this.#store.put(KEYS, kid, secret.toString('base64'));
    await this.#store.put(META, 'current-key', kid);
    this.#current = { kid, secret };
    return kid;
  }

  sign(username: string, kind: TokenKind, seconds: number): Promise<string> {
    return new SignJWT({ kind })
      .setProtectedHeader({ alg: 'HS256', kid: this.#current.kid })
      .setSubject(username)
      .setIssuedAt()
      .setExpirationTime(`${seconds}s`)
      .sign(this.#current.secret);
  }

  /** The username a valid token of `kind` was issued to; 401 for anything else, saying why. */
  async verify(token: string, kind: TokenKind): Promise<string> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => {
        const secret = header.kid === undefined ? undefined : this.#store.get<string>(KEYS, header.kid);
        if (secret === undefined) throw new LodeError('UNAUTHORIZED', 'The token was signed with an unknown key');
        return Buffer.from(secret, 'base64');
      }, { algorithms: ['HS256'] }));
    } catch (error) {
      if (error instanceof LodeError) throw error;
      const reason = error instanceof joseErrors.JWTExpired ? 'The token has expired' : 'The token is not valid';
      throw new LodeError('UNAUTHORIZED', reason);
    }
    if (payload.kind !== kind || typeof payload.sub !== 'string') throw new LodeError('UNAUTHORIZED', `Not ${kind === 'access' ? 'an access' : 'a refresh'} token`);
    return payload.sub;
  }
}
