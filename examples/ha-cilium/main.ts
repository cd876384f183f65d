import { synthExample } from '../synth';

synthExample('ha-cilium');
