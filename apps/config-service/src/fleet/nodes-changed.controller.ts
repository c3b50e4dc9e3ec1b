import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Patterns } from '@phoenix/common';
import { NodeSelectionService } from './node-selection.service';

/** `network.nodes.changed`: a replica (this one too) changed a node row; drop the rows cached for selection. */
@Controller()
export class NodesChangedController {
  constructor(private readonly selection: NodeSelectionService) {}

  @EventPattern(Patterns.NODES_CHANGED)
  nodesChanged(): void {
    this.selection.forget();
  }
}
