"""The embedded model: llama.cpp driven from the model's own chat template, with its
prompt prefix kept between turns."""
