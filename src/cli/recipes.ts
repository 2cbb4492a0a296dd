import type { Command } from 'commander';
import { loadRecipe, recipeNames } from '../train/recipes.ts';
import { action } from './run.ts';

/** `snn-export recipes [NAME]`: the training recipes, or one of them in full. */
export function registerRecipes(program: Command): void {
  program.command('recipes')
    .description('list the training recipes (train --recipe NAME), or show one')
    .argument('[name]', 'a recipe to show in full')
    .action(action((name?: string) => {
      if (name) { process.stdout.write(`${JSON.stringify(loadRecipe(name), null, 2)}\n`); return; }
      for (const n of recipeNames()) {
        const r = loadRecipe(n);
        process.stdout.write(`${n.padEnd(18)} v${r.version}  ${r.paper.dataset}, paper ${r.paper.accuracy.toFixed(2)} %: ${r.description}\n`);
      }
    }));
}
