"""The Fashion-MNIST learning-rate search: data, ResNet, training, report and the CLI.

The application layer: it may import every other layer of the package.
"""
