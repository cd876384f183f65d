import { synthExample } from '../synth';

synthExample('default');
