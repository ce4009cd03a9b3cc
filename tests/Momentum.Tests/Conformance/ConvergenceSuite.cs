using Momentum.Specs;

namespace Momentum.Tests.Conformance;

/// <summary>
/// Optax's alias-test problems (optax/_src/alias_test.py): a parabola and the Rosenbrock function, 10,000 steps in
/// float32, then every coordinate within rtol = atol = 3e-2 of the minimum. Every optimizer is registered by one line
/// in <see cref="Optimizers"/> with Optax's learning rate for it; the loss is always passed (Polyak needs it).
/// </summary>
public class ConvergenceSuite
{
    private const double Tolerance = 3e-2;

    /// <summary>
    /// One line per optimizer: the spec, whether it runs on Rosenbrock too (Optax skips it for sign methods), and the
    /// number of steps (Optax's alias_test runs 10,000; its contrib _common_test runs 30,000).
    /// </summary>
    private static readonly OptimizerCase[] s_optimizers =
    [
        // Foundation (torch semantics), with Optax's learning rates for sgd/adam/adamw.
        new("sgd(lr=1e-3, momentum=0.9)"),
        new("adam(lr=1e-1)"),
        new("adamw(lr=1e-1, weight_decay=1e-4)"), // Optax's adamw decay (torch's 1e-2 biases the minimum)
        // The rest of torch.optim (torch semantics), with the learning rate of Optax's namesake where it has one.
        new("rmsprop(lr=5e-3)"),
        new("rmsprop(lr=5e-3, momentum=0.9, centered=true)"),
        new("adagrad(lr=1.0)"),
        new("adadelta(lr=0.1)"),
        new("adamax(lr=1e-1)"),
        new("nadam(lr=1e-2)"),
        new("nadam(lr=1e-2, weight_decay=1e-4, decoupled_weight_decay=true)"),
        new("radam(lr=5e-3)"),
        new("rprop(lr=1e-1)"),
        new("asgd(lr=1e-3, t0=100)"),
        // Optax aliases.
        new("acprop(lr=1e-3)", Steps: 30_000), // Optax contrib's learning rate and step count (_common_test.py)
        new("adabelief(lr=1e-2)"),
        new("adabelief(lr=1e-2, weight_decay=1e-4)"),
        new("adafactor(lr=5e-3)"),
        new("adafactor", Rosenbrock: false), // Optax skips adafactor without a learning rate (alias_test.py)
        new("adamaxw(lr=1e-1)"),
        new("adan(lr=1e-1)"),
        new("amsgrad(lr=1e-1)"),
        new("fromage(lr=5e-3)"),
        new("lamb(lr=1e-3)"),
        new("lars(lr=1.0)"),
        new("lion(lr=1e-2, weight_decay=1e-4)"),
        new("nadamw(lr=1e-2)"),
        new("noisy_sgd(lr=1e-3, eta=1e-4, seed=0)"),
        new("novograd(lr=1e-3)"),
        new("optimistic_adam(lr=2e-3)"),
        new("optimistic_adam(lr=1.0, alpha=2e-3, beta=2e-3)"),
        new("optimistic_gradient_descent(lr=2e-3, alpha=0.7, beta=0.1)"),
        new("polyak_sgd(max_learning_rate=1.0)"),
        new("sign_sgd(lr=1e-1)", Rosenbrock: false),
        new("signum(lr=1e-2)", Rosenbrock: false),
        new("sm3(lr=1.0)"),
        new("yogi(lr=1e-1)"),
        new("optax.sgd(lr=1e-3, momentum=0.9)"),
        new("optax.adam(lr=1e-1)"),
        new("optax.adamw(lr=1e-1)"),
        new("optax.nadam(lr=1e-2)"),
        new("optax.radam(lr=5e-3)"),
        new("optax.rmsprop(lr=5e-3)"),
        new("optax.rmsprop(lr=5e-3, momentum=0.9)"),
        new("optax.adagrad(lr=1.0)"),
        new("optax.adadelta(lr=0.1)"),
        new("optax.adadelta", Rosenbrock: false), // Optax skips the default adadelta's assert; lr = 1 is too slow for Rosenbrock in 10k steps
        new("optax.adamax(lr=1e-1)"),
        new("optax.rprop(lr=1e-1)"),
        // C# factories work too (for options a spec cannot express, such as masks): name the case, give the factory.
        new("OptaxAdamW with a mask", Factory: () => Optimizers.OptaxAdamW(new OptaxAdamWOptions { LearningRate = 0.1, Mask = p => p.Rank > 1 })),
        // Optax contrib (learning rates and step count of optax/contrib/_common_test.py).
        new("ademamix(lr=1e-3)", Steps: 30_000),
        new("simplified_ademamix(lr=1e-3)", Steps: 30_000),
        new("adopt(lr=1e-2)", Steps: 30_000),
        new("cocob()", Steps: 30_000),
        new("cocob(weight_decay=1e-2)", Steps: 30_000),
        new("dadapt_adamw(lr=1e-1)", Steps: 30_000),
        new("dog(lr=1.0)", Steps: 30_000),
        new("dowg(lr=1.0)", Steps: 30_000),
        new("muon(lr=1e-2)", Steps: 30_000),
        new("prodigy(lr=1e-1)", Steps: 30_000),
        new("schedule_free_sgd(lr=1e-2, warmup_steps=5000)", Steps: 30_000),
        new("schedule_free_adamw(lr=1e-2, warmup_steps=5000)", Steps: 30_000),
        new("schedule_free(sgd(lr=1e-2), learning_rate=1e-2)", Steps: 30_000),
        new("chain(sgd(lr=1e-3), reduce_on_plateau())", Steps: 30_000),
        // Wrappers around a converging optimizer.
        new("apply_if_finite(adam(lr=1e-1), max_consecutive_errors=5)"),
        new("multi_steps(adam(lr=1e-1), every_k_schedule=2)", Steps: 20_000),
        new("lookahead(adam(lr=1e-1), sync_period=5, slow_step_size=0.5)"),
    ];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in s_optimizers)
        {
            data.Add(c.Spec, "parabola");
            if (c.Rosenbrock) data.Add(c.Spec, "rosenbrock");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Converges(string spec, string problem)
    {
        var testCase = Array.Find(s_optimizers, c => c.Spec == spec)!;
        int steps = testCase.Steps;
        bool parabola = problem == "parabola";
        float[] start = parabola ? [-1f, 10f, 1f] : [0f, 0f];
        float[] target = parabola ? [1f, -1f, 1f] : [1f, 1f];
        var set = new ParameterSet();
        var x = set.Add("x", [start.Length], start);
        var optimizer = new Optimizer(testCase.Factory?.Invoke() ?? SpecRegistry.Default.Create(spec), set, new OptimizerOptions { Threads = 1 });
        var grads = new GradientSet(set);
        for (int step = 0; step < steps; step++)
        {
            var v = x.Values;
            var g = grads.Get(x);
            double loss;
            if (parabola)
            {
                loss = 0;
                for (int i = 0; i < v.Length; i++)
                {
                    float d = v[i] - target[i];
                    g[i] = 2 * d;
                    loss += (double)d * d;
                }
            }
            else
            {
                // f = (a − x)² + b(y − x²)², a = 1, b = 100.
                float a = v[0], b = v[1], r = b - a * a;
                g[0] = -2 * (1 - a) - 400 * a * r;
                g[1] = 200 * r;
                loss = (1.0 - a) * (1.0 - a) + 100.0 * r * r;
            }
            optimizer.Step(grads, loss);
        }
        for (int i = 0; i < target.Length; i++)
            Assert.True(Math.Abs(x.Values[i] - target[i]) <= Tolerance + Tolerance * Math.Abs(target[i]),
                $"{spec} on {problem}: x[{i}] = {x.Values[i]}, expected {target[i]} ± {Tolerance}");
    }

    /// <summary>An optimizer under test.</summary>
    /// <param name="Spec">Its spec, with Optax's learning rate for these problems (or just a name when <paramref name="Factory"/> is given).</param>
    /// <param name="Rosenbrock">Whether to run Rosenbrock too.</param>
    /// <param name="Steps">The number of steps.</param>
    /// <param name="Factory">Builds the optimizer in C# instead of from the spec.</param>
    private sealed record OptimizerCase(string Spec, bool Rosenbrock = true, int Steps = 10_000, Func<GradientTransformation>? Factory = null);
}
