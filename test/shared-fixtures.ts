// Where the shared, read-only Sigstore fixtures live (../shared/fixtures/sigstore: real public-good
// and GitHub-instance artifacts, cases.json), for every test that reads them.
import { fileURLToPath } from 'node:url';

const SIGSTORE_FIXTURES = new URL('../../shared/fixtures/sigstore/', import.meta.url);

/** The absolute path of `path` inside the shared Sigstore fixtures. */
export const sigstoreFixture = (path: string): string => fileURLToPath(new URL(path, SIGSTORE_FIXTURES));
