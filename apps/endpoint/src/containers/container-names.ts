import { randomInt } from 'node:crypto';

// A few of moby's namesgenerator words: docker users expect `adjective_scientist` names.
const adjectives = ['admiring', 'brave', 'clever', 'dreamy', 'eager', 'focused', 'gallant', 'happy', 'jolly', 'keen', 'loving', 'modest', 'nifty', 'quirky', 'serene', 'vibrant'];
const scientists = ['babbage', 'curie', 'darwin', 'euclid', 'faraday', 'galileo', 'hopper', 'kepler', 'lovelace', 'meitner', 'noether', 'pascal', 'ritchie', 'shannon', 'turing', 'wozniak'];

/** A fresh `adjective_scientist` name not in `taken` (a digit is added after collisions, as moby does). */
export function generateContainerName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const name = `${adjectives[randomInt(adjectives.length)]}_${scientists[randomInt(scientists.length)]}${attempt > 10 ? randomInt(10) : ''}`;
    if (!taken(name)) return name;
  }
}
