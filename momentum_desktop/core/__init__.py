"""The numeric core: surfaces, optimizers, simulation, sessions. numpy only, no Qt."""
