import { aligned, domainOf, type Prover } from './policy.js';
import { trustedAuthResults } from './auth-results.js';

/**
 * `--trust auth-results`: the verdict of the named receiving server, read only from the headers
 * it added itself: dkim=pass for an accepted, aligned d=, or dmarc=pass for the From domain.
 */
export function authResultsProver(authservId: string): Prover {
  return async ({ email }, fromDomain, accepts) => {
    const headers = trustedAuthResults(email.headerLines, authservId);
    if (headers.length === 0) return { kind: 'untrusted', reason: 'auth-results-missing' };
    for (const r of headers.flatMap((h) => h.results)) {
      if (r.result !== 'pass') continue;
      const d = r.props['header.d'] ?? (r.props['header.i'] ? domainOf(r.props['header.i']) : '');
      if (r.method === 'dkim' && d && accepts(d) && aligned(d, fromDomain)) return { kind: 'trusted', via: `auth-results:${authservId}:dkim` };
      if (r.method === 'dmarc' && r.props['header.from'] === fromDomain && accepts(fromDomain)) return { kind: 'trusted', via: `auth-results:${authservId}:dmarc` };
    }
    return { kind: 'untrusted', reason: 'auth-results-fail' };
  };
}
