import { synthExample } from '../synth';

synthExample('routed');
