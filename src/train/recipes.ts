/**
 * Named, versioned training recipes: everything a run needs (data set and its preprocessing,
 * network, T, encoder, optimizer and schedule, gradient, skipping, FreezeOut, validation split)
 * as one JSON file in src/train/recipes/. A new recipe is one file there.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SnnError } from '../errors.ts';
import type { NetworkSpec } from '../spec/types.ts';
import { validateSpec } from '../spec/validate.ts';
import type { DatasetOptions } from '../data/registry.ts';
import { DEFAULT_SETTINGS } from './defaults.ts';
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

export function recipeNames(): string[] {
  return readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function loadRecipe(name: string): Recipe {
  const path = `${folder}${name}.json`;
  if (!existsSync(path)) throw new SnnError('usage', `recipe '${name}' does not exist (recipes: ${recipeNames().join(', ')})`);
  let recipe: Recipe;
  try { recipe = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new SnnError('malformedInput', `${path}: not valid JSON (${(e as Error).message})`); }
  if (recipe.name !== name) throw new SnnError('malformedInput', `${path}: 'name' is ${JSON.stringify(recipe.name)}, the file name says '${name}'`);
  validateSpec(recipe.spec);
  recipe.training = { ...DEFAULT_SETTINGS, ...recipe.training };
  return recipe;
}
