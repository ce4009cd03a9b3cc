namespace Momentum;

public sealed partial class Optimizer
{
    /// <summary>What kind of chain a parameter runs in a step.</summary>
    private enum ChainKind : byte
    {
        /// <summary>The generic chain, stage by stage.</summary>
        Generic,

        /// <summary>A one-pass kernel (<see cref="SpecializedChain"/>).</summary>
        OnePass,

        /// <summary>A one-pass kernel after a head reduction, so it is prepared once the reduction's total is known.</summary>
        OnePassAfterReduction,
    }

    /// <summary>How and where a parameter's chain is begun and prepared in a step.</summary>
    private enum Preparation : byte
    {
        /// <summary>The generic begin loop on the stepping thread.</summary>
        Generic,

        /// <summary>By the fused pass itself, just before its kernel runs (a one-segment tensor).</summary>
        InFusedPass,

        /// <summary>By the parallel preparation pass before the fused pass (several segments, or a reduction to wait for).</summary>
        InPreparationPass,
    }

    /// <summary>What the per-step collection needs of a parameter (see <see cref="_summary"/>).</summary>
    private struct PlanSummary
    {
        public RowBuffer? CheckedGradient; // the gradient buffer last checked to have the parameter's length,
        public int CheckedVersion;         // at this RowBuffer.LayoutVersion (-1: never),
        public int CheckedLength;          // and the parameter's length then
        public ChainKind Chain;
        public bool HasState;
    }

    /// <summary>A parameter's expanded chain, its state and its per-step scratch.</summary>
    private sealed class ParameterPlan
    {
        public readonly Parameter Parameter;
        public readonly Stage[] Stages;
        public readonly int[] RunStarts;    // where each round's run of stages begins
        public readonly int[] RoundGroup;   // per round: the reduction group of an all-parameter reduction, else -1
        public readonly int Rounds;         // rounds of the materialized path: RunStarts.Length, and one for an empty chain
        public readonly bool TensorHead;    // the chain starts with a tensor stage
        public readonly ReducingTransformation?[] NextReduction; // per round: the reduction that heads the next round, or null
        public readonly bool Fusable;
        public readonly SpecializedChain? Specialized; // a one-pass kernel for a recognized chain (Optimizer.Fused.cs), used in fused steps
        public readonly int[] ValueSlots;      // per stage: its slot in the optimizer's step values, or -1
        public readonly int[] ValidatedStages; // the stages (other than step-value ones) that check their step
        public readonly ITwoPhaseTensorTransformation? TwoPhaseHead; // a two-phase head stage the chain can run unmaterialized (Optimizer.TwoPhase.cs)
        public bool TwoPhase;                  // this step runs TwoPhaseHead's path
        public RowBuffer? Updates;
        public double ReductionTotal;
        public double ParameterSquares;  // this step's sum of squares of the values, for an IParameterSquaresReduction
        public bool HasParameterSquares; // ParameterSquares was computed for the coming reduction of this step
        private readonly Optimizer _owner;
        private readonly int _index;
        private TransformState?[]? _states;

        /// <summary>The stages' states, or null before the first gradient.</summary>
        public TransformState?[]? States
        {
            get => _states;
            set
            {
                _states = value;
                if (value is null) _owner._statesDropped++;
                _owner._summary[_index].HasState = value is not null;
                Specialized?.StatesChanged(value);
            }
        }

        /// <summary>This step's gradient, or null.</summary>
        public RowBuffer? Gradient
        {
            get => _owner._stepGradient[_index];
            set => _owner._stepGradient[_index] = value;
        }

        public ParameterPlan(Optimizer owner, Parameter parameter)
        {
            Parameter = parameter;
            _owner = owner;
            _index = parameter.Index;
            var stages = new List<Stage>();
            owner.Core.Expand(parameter, "", stages);
            Stages = [.. stages];
            var runs = new List<int>();
            for (int s = 0; s < Stages.Length; s++)
            {
                var t = Stages[s].Transform;
                if (t is not (ElementwiseTransformation or TensorTransformation))
                    ThrowHelper.ThrowArgument("transformation", $"'{t.Name}' is neither element-wise nor a tensor transformation and cannot be run.");
                bool barrier = t is ReducingTransformation or TensorTransformation;
                if (s == 0 || barrier) runs.Add(s);
            }
            RunStarts = [.. runs];
            RoundGroup = new int[RunStarts.Length];
            for (int r = 0; r < RunStarts.Length; r++)
                RoundGroup[r] = Stages[RunStarts[r]].Transform is ReducingTransformation { Scope: ReductionScope.AllParameters } red
                    ? owner.ReductionGroupOf(red, r) : -1;
            Rounds = Math.Max(RunStarts.Length, 1);
            TensorHead = Stages.Length > 0 && Stages[0].Transform is TensorTransformation;
            NextReduction = new ReducingTransformation?[Rounds];
            for (int r = 0; r + 1 < RunStarts.Length; r++) NextReduction[r] = Stages[RunStarts[r + 1]].Transform as ReducingTransformation;
            Fusable = RunStarts.Length <= 1 && Array.TrueForAll(Stages, s => s.Transform is ElementwiseTransformation);
            ValueSlots = [.. Stages.Select(s => s.Transform is IStepValueTransformation v ? owner.StepValueSlot(v) : -1)];
            ValidatedStages = [.. Enumerable.Range(0, Stages.Length).Where(s => ValueSlots[s] < 0 && ValidatesSteps(Stages[s].Transform))];
            if (Fusable && owner.Options.SpecializedKernels) Specialized = SpecializedChain.TryCreate(Stages, parameter, owner.StepValueSlot);
            if (owner.Options.SpecializedKernels) TwoPhaseHead = TwoPhaseHeadOf(Stages);
        }

        /// <summary>Whether <paramref name="transform"/>'s type overrides <see cref="GradientTransformation.ValidateStep"/> (cached per type).</summary>
        private static bool ValidatesSteps(GradientTransformation transform) =>
            s_validatesSteps.GetOrAdd(transform.GetType(), static type =>
                type.GetMethod(nameof(GradientTransformation.ValidateStep), [typeof(TransformState), typeof(StepInfo).MakeByRefType()])!.DeclaringType
                != typeof(GradientTransformation));

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> s_validatesSteps = new();

        /// <summary>Creates the state if there is none; only ever on the stepping (or calling) thread, never on a worker.</summary>
        public void EnsureState()
        {
            if (_states is null) States = CreateStates();
        }

        /// <summary>Fresh states for every stage, the small tensors laid out slot by slot (<see cref="StateArena"/>).</summary>
        public TransformState?[] CreateStates()
        {
            var states = new TransformState?[Stages.Length];
            for (int s = 0; s < Stages.Length; s++)
                using (_owner._stateArena.Creating(s)) states[s] = Stages[s].Transform.CreateState(Parameter);
            return states;
        }

        public void EnsureUpdateBuffer()
        {
            if (Updates is null) Updates = new RowBuffer(Parameter.Rows, Parameter.RowLength);
            else if (Updates.Rows != Parameter.Rows) Updates.Resize(Parameter.Rows);
        }
    }
}