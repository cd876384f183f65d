import { synthExample } from '../synth';

synthExample('calico');
