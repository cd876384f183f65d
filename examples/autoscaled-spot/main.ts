import { synthExample } from '../synth';

synthExample('autoscaled-spot');
