/**
 * The defaults that bound sftoken's work, each with the reason for its value. Options take their
 * defaults from here, and --help shows them, so the two cannot drift.
 */
export const DEFAULT_LIMITS = {
  // A token email is a few KiB; 2 MiB leaves room for gateway banners and forwarded copies while
  // keeping mailparser (which holds the whole message in memory) away from hostile sizes.
  maxMessageBytes: 2 * 1024 * 1024,
  // Pinned rather than jsforce's default (50.0); 64.0 is the last version with SOAP login().
  apiVersion: '64.0',
  // Salesforce answers a login in well under a second; 30 s covers a slow proxy, not a hang.
  loginTimeoutSeconds: 30,
  loginRetries: 2,
  loginBackoffSeconds: 2,
  // Salesforce's default lockout is 10 failed logins; 3 leaves room for the integrations
  // themselves and for a person who is trying at the same moment.
  maxFailedLoginsPerHour: 3,
  // A destination helper (kubectl, vault, aws, pass) answers in seconds; 30 s covers a slow API
  // without letting a hung one hold the token email for ever.
  helperTimeoutSeconds: 30,
  // A first watch looks back a week: long enough to find a token that arrived over a holiday.
  watchFirstSince: '7d',
  heartbeatSeconds: 60,
  // Below the 29 minutes after which RFC 3501 lets a server drop an idle client, and below the
  // NAT timeouts (often 5 minutes) that kill a quiet connection without a word.
  idleRestartSeconds: 240,
  // A SEARCH over a large mailbox or a 2 MiB FETCH over a slow link takes seconds; a minute
  // without the tagged answer means the server is stuck, whatever keep-alives it sends.
  imapCommandSeconds: 60,
  // Longer than a message can take with its claim held (a login with its retries, the writes),
  // short enough that a token behind a replica that died is stored within minutes.
  claimExpirySeconds: 300,
  // A held token email is there for a person to look at after a refusal; a month is long enough
  // to notice, short enough that old refusals do not pile up on a mail server's disk.
  heldDays: 30,
  // Parsing, checking and reading a 2 MiB message takes well under a second here.
  messageBudgetMs: 5000,
  // Longer than any line a SEARCH for token emails returns (some 500,000 UIDs), far below what
  // would hurt: a server that never ends a line is dropped there.
  imapMaxLineBytes: 4 * 1024 * 1024,
} as const;
