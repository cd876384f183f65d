import { synthExample } from '../synth';

synthExample('flannel');
