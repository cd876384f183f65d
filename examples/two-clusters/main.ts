import { synthExample } from '../synth';

synthExample('two-clusters');
