import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DivisionDirectory } from '../../domain/division-directory';
import { Overrides } from '../../master/overrides';
import { SEEDS_DIR } from '../../store/master-files';

export const SEED_TEXT_PATH = join(SEEDS_DIR, 'arao-r4-status.txt');
export const SEED_OVERRIDES_PATH = join(SEEDS_DIR, 'arao-overrides.json');
export const SEED_PLAN_PATH = join(SEEDS_DIR, 'plan.json');
export const SEED_DIRECTORY_PATH = join(SEEDS_DIR, 'divisions.json');

export const seedText = (): Buffer => readFileSync(SEED_TEXT_PATH);
export const seedOverrides = (): Overrides => Overrides.parse(JSON.parse(readFileSync(SEED_OVERRIDES_PATH, 'utf8')));
export const seedDirectory = (): DivisionDirectory => DivisionDirectory.parse(JSON.parse(readFileSync(SEED_DIRECTORY_PATH, 'utf8')));
