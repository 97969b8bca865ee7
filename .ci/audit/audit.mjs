// Usage: node audit.mjs URL TOKEN
// Runs every graphql-http server audit against URL, sending TOKEN as the bearer token.
// Exits 1 when a MUST audit fails; SHOULD/MAY audits that fail are printed as warnings.
import { serverAudits } from 'graphql-http';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node audit.mjs URL TOKEN');
  process.exit(2);
}

const fetchFn = (input, init = {}) =>
  fetch(input, {
    ...init,
    headers: { ...(init.headers || {}), authorization: `Bearer ${token}` },
  });

let failed = 0;
let warned = 0;
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    console.log(`ok    ${audit.id} ${audit.name}`);
  } else if (result.status === 'warn') {
    warned += 1;
    console.log(`warn  ${audit.id} ${audit.name}: ${result.reason}`);
  } else {
    failed += 1;
    console.log(`FAIL  ${audit.id} ${audit.name}: ${result.reason}`);
  }
}
console.log(`graphql-http audits: ${failed} MUST failed, ${warned} SHOULD/MAY not met`);
process.exit(failed ? 1 : 0);
