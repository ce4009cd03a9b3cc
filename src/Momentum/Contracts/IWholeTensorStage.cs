namespace Momentum;

/// <summary>
/// Marks an element-wise (or reducing) stage that reads its parameter as a whole, beyond the blocks it is given: a norm
/// or the shape of the parameter's values in <c>BeginStep</c> or <c>Finish</c>, or an element's index in the full tensor.
/// Its results would change if the tensor were cut into pieces, so a sharded optimizer (Momentum.Distributed) keeps a
/// parameter whose chain has one on a single rank, as it does for a <see cref="TensorTransformation"/>.
/// </summary>
internal interface IWholeTensorStage;
