import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { JSON_SCHEMA_FILE } from '../../config/json-schema.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../cli-context.js';
import {
  INIT_CONFIG_FILE,
  INIT_QUERY_FILE,
  initWarehouseTypes,
  renderInitFiles,
} from '../init/render-init-files.js';

interface InitOptions {
  warehouse: string;
  dir: string;
  force?: boolean;
}

/** The JSON Schema shipped with this installation of cohort-sync (src/ and dist/ sit at the same depth). */
const SHIPPED_SCHEMA = fileURLToPath(new URL(`../../../${JSON_SCHEMA_FILE}`, import.meta.url));

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description(`create ${INIT_CONFIG_FILE} and ${INIT_QUERY_FILE} to start from`)
    .option('-w, --warehouse <type>', `warehouse type: ${initWarehouseTypes().join(', ')}`, 'duckdb')
    .option('--dir <dir>', 'project directory to create the files in', '.')
    .option('-f, --force', 'overwrite files that already exist')
    .action(async (opts: InitOptions) => {
      ctx.out(await initCommand(opts));
    });
}

/** Writes the starter files; refuses to overwrite anything without --force. Returns what to tell the user. */
export async function initCommand(opts: InitOptions): Promise<string> {
  const types = initWarehouseTypes();
  if (!types.includes(opts.warehouse)) {
    throw new UsageError(`unknown warehouse type "${opts.warehouse}"; choose one of: ${types.join(', ')}`);
  }
  const dir = path.resolve(opts.dir);
  const configFile = path.join(dir, INIT_CONFIG_FILE);
  const queryFile = path.join(dir, INIT_QUERY_FILE);
  if (!opts.force) {
    const existing = [];
    for (const file of [configFile, queryFile]) if (await exists(file)) existing.push(file);
    if (existing.length > 0) {
      throw new UsageError(
        `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written. ` +
          'Pass --force to overwrite, or --dir to start elsewhere',
      );
    }
  }
  const files = renderInitFiles(opts.warehouse, schemaReference(path.dirname(configFile)));
  for (const [file, text] of [
    [configFile, files.config],
    [queryFile, files.query],
  ] as const) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  const shown = (file: string) => path.relative(process.cwd(), file) || file;
  const env = ['BRAZE_PARTNER_API_KEY', 'BRAZE_DATA_IMPORT_KEY', ...files.template.env];
  const configFlag = shown(configFile) === INIT_CONFIG_FILE ? '' : ` --config ${shown(configFile)}`;
  return [
    `created ${shown(configFile)}`,
    `created ${shown(queryFile)}`,
    '',
    'Next:',
    `  1. edit ${shown(configFile)}: the Braze instance and partner, and ${shown(queryFile)}: your audience`,
    `  2. export ${env.map((name) => `${name}=…`).join(' ')}`,
    `  3. cohort-sync validate${configFlag}   # check the config`,
    `  4. cohort-sync plan${configFlag}       # see what a run would send, without sending`,
    '',
  ].join('\n');
}

/** The schema as a path relative to the config when it lives in the project (node_modules), else a file URL. */
function schemaReference(configDir: string): string {
  const relative = path.relative(configDir, SHIPPED_SCHEMA);
  const insideProject = !path.relative(path.dirname(configDir), SHIPPED_SCHEMA).startsWith('..');
  return insideProject ? relative.split(path.sep).join('/') : pathToFileURL(SHIPPED_SCHEMA).href;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
