// Where the project keeps what it generates: binaries in .tools/, the embedded
// stack's state (Temporal's SQLite file, PGlite, generated token and key) in .data/.
import { join, resolve } from 'node:path';

export const projectRoot = resolve(import.meta.dirname, '..');
export const toolsDir = join(projectRoot, '.tools');
export const dataDir = process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : join(projectRoot, '.data');
export const embeddedDatabaseDir = join(dataDir, 'pglite');

