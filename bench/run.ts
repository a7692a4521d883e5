/**
 * vic's benchmarks: every figure is a ratio against a floor measured in the same run on the same
 * machine, so a slow or busy host moves both sides alike. Numbers, not pass/fail.
 * `npm run bench [-- --runs N] [-- --only foundation|images|endpoint|network]`.
 */
import { runEndpointBench } from './endpoint';
import { runFoundationBench } from './foundation';
import { runImageBench } from './images';
import { runNetworkBench } from './network';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};
const runs = Number(argument('--runs')) || 5;
const only = argument('--only');

if (only === undefined || only === 'foundation') await runFoundationBench(runs);
if (only === undefined || only === 'images') await runImageBench(runs);
if (only === undefined || only === 'endpoint') await runEndpointBench(runs);
if (only === undefined || only === 'network') await runNetworkBench(Math.min(runs, 3));
