/**
 * Named, versioned training recipes: everything a run needs (data set and its preprocessing,
 * network, T, encoder, optimizer and schedule, gradient, skipping, FreezeOut, validation split)
 * as one JSON file in src/train/recipes/. A new recipe is one file there.
 */
import { readdirSync } from 'node:fs';
import { MiB, readInputJson } from '../util/read-input.ts';
import { shown } from '../util/shown.ts';
import { fileURLToPath } from 'node:url';
import { SnnError, malformed } from '../errors.ts';
import type { NetworkSpec } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import { DATASETS } from '../data/registry.ts';
import type { DatasetOptions } from '../data/registry.ts';
import { DEFAULT_SETTINGS } from './defaults.ts';
import { defaultLoss } from '../compile/loss.ts';
import { checkSettings } from './settings.ts';
import type { TrainSettings } from './trainer.ts';

export interface Recipe {
  name: string;
  version: number;
  description: string;
  /** The paper's figure this recipe aims at (Zhu et al. 2021). */
  paper: { dataset: string; accuracy: number };
  dataset: { name: string; options?: DatasetOptions };
  spec: NetworkSpec;
  training: TrainSettings;
}

const folder = fileURLToPath(new URL('./recipes/', import.meta.url));

/** The names of the shipped training recipes (`src/train/recipes/*.json`), sorted. */
export function recipeNames(): string[] {
  return readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a recipe's JSON as `train` would use it: its name, data set, spec and every training
 * setting by the rules of the flags (src/train/settings.ts), each error naming the recipe and the field.
 */
export function parseRecipe(json: unknown, name: string): Recipe {
  const where = `recipe ${name}`;
  if (!isObject(json)) throw malformed(where, 'not a JSON object');
  if (json.name !== name) throw malformed(where, `'name' is ${shown(json.name)}, the file name says '${name}'`);
  if (!Number.isInteger(json.version)) throw malformed(where, `'version' must be an integer, got ${shown(json.version)}`);
  if (!isObject(json.paper) || typeof json.paper.dataset !== 'string' || typeof json.paper.accuracy !== 'number') throw malformed(where, "'paper' must be { dataset, accuracy }");
  if (!isObject(json.dataset) || typeof json.dataset.name !== 'string' || !DATASETS[json.dataset.name]) {
    throw malformed(where, `'dataset.name' must be one of ${Object.keys(DATASETS).join(', ')}, got ${shown(isObject(json.dataset) ? json.dataset.name : json.dataset)}`);
  }
  if (json.dataset.options !== undefined && !isObject(json.dataset.options)) throw malformed(where, "'dataset.options' must be an object");
  if (!isObject(json.training)) throw malformed(where, "'training' must be an object of training settings");
  checkSettings(json.training, (field) => `${where}: training.${field}`, true);
  const { output } = validateSpec(json.spec as NetworkSpec);
  const recipe = json as unknown as Recipe;
  // A recipe without a loss trains with its network's default (count for a spiking output).
  const defaults = { ...DEFAULT_SETTINGS, loss: defaultLoss(output) };
  return { ...recipe, description: String(recipe.description ?? ''), training: { ...defaults, ...recipe.training } };
}

/** A recipe by name: only the bare names `recipeNames()` lists, never a path. */
export function loadRecipe(name: string): Recipe {
  const names = recipeNames();
  if (!names.includes(name)) throw new SnnError('usage', `recipe '${name}' does not exist (recipes: ${names.join(', ')})`);
  return readRecipeFile(`${folder}${name}.json`, name);
}

/** Reads and checks the recipe file at `path` under `name` (1 MiB at most, JSON nested at most 64 levels). */
export function readRecipeFile(path: string, name: string): Recipe {
  return parseRecipe(readInputJson(path, { what: `recipe ${name}`, maxBytes: MiB }), name);
}
